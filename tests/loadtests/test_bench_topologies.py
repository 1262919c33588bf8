"""`cad bench --topologies`: which topologies run, in what order, and what each is compared with
(the bench's run on a Sentinel set and a cluster is recorded in docs/performance.md)."""

from __future__ import annotations

import pytest

from loadtests.bench.results import Scenario
from loadtests.bench.stats import Figures
from loadtests.bench.topologies import beside_single, parse_topologies, topology_env


def test_the_single_node_runs_first_and_unknown_names_are_refused() -> None:
    assert parse_topologies("cluster,sentinel") == ("single", "sentinel", "cluster")
    assert parse_topologies(" single , cluster ") == ("single", "cluster")
    assert parse_topologies("") == ("single",)
    with pytest.raises(ValueError, match=r"--topologies: unknown \['sharded'\]"):
        parse_topologies("single,sharded")


def test_a_topologys_scenario_is_compared_with_the_single_nodes_of_the_same_run() -> None:
    single = Scenario("5", "HTTP", measured=Figures(400.0, 15.0, 30.0, 40.0, 1000))
    single.baseline = Figures(5000.0, 1.0, 2.0, 3.0, 1000)
    on_cluster = Scenario("5", "HTTP", measured=Figures(100.0, 45.0, 60.0, 90.0, 300))
    on_cluster.baseline = Figures(5000.0, 1.0, 2.0, 3.0, 1000)
    compared = beside_single(on_cluster, "cluster", [single])
    assert compared.key == "5@cluster"
    assert compared.baseline == single.measured
    assert compared.ratio == pytest.approx(0.25)
    assert topology_env({"redis_cluster_nodes": "a:1"}) == {"CAD_REDIS_CLUSTER_NODES": "a:1"}
