"""Occupancy: who is at each place, kept as a tuple in world order that changes only when someone
arrives or leaves (events emitted meanwhile share it as their audience)."""

import random

from sandbox.world.occupancy import Occupancy


def test_places_stay_in_world_order_and_change_only_when_someone_comes_or_goes():
    rng = random.Random(7)
    names = [f"A{i:03d}" for i in range(300)]
    places = ["p0", "p1", "p2", "p3"]
    where = {n: rng.choice(places) for n in names}
    occupancy = Occupancy(((n, where[n]) for n in names), places)
    for step in range(2000):
        asked = {p: occupancy.at(p) for p in rng.sample(places, 2)}  # some places cached
        name = rng.choice(names)
        old, new = where[name], rng.choice(places)  # sometimes the same place
        occupancy.move(name, old, new)
        where[name] = new
        for place in places:
            now = occupancy.at(place)
            assert now == tuple(n for n in names if where[n] == place), (step, place)
            if place in asked:
                # the same object unless the move touched it; a new one when it did
                assert (now is asked[place]) == (place not in (old, new)), (step, place)
        assert occupancy.count(new) == len(occupancy.at(new))
