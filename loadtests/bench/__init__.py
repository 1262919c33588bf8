"""`cad bench`: fixed scenarios that measure the dispatch core against same-run baselines."""
