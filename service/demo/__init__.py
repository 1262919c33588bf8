"""`cad demo`: the main job end to end on real London data, with a simulated fleet of units."""
