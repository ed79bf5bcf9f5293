"""The checkpoint's ties, read from the graph's adjacency: each tie once, the way round and in
the order networkx's edge view gives them (so checkpoints are what they were)."""

import random

import networkx as nx

from sandbox.world.world import _edges


def test_ties_are_the_edge_view_exactly():
    rng = random.Random(2)
    for _ in range(50):
        g = nx.Graph()
        g.add_nodes_from(f"a{i}" for i in rng.sample(range(40), 40))
        for _ in range(rng.randint(0, 120)):
            a, b = f"a{rng.randrange(40)}", f"a{rng.randrange(40)}"  # self-ties too
            if rng.random() < 0.2 and g.has_edge(a, b):
                g.remove_edge(a, b)
            else:
                g.add_edge(a, b, weight=rng.choice([1.0, 0.5, 2]))
        assert _edges(g) == [(a, b, d["weight"]) for a, b, d in g.edges(data=True)]
