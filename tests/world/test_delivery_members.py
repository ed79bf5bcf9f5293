"""Who is in which audience, kept as runs of a place's audience versions (``events._Members``):
the same audiences and event counts, listener by listener, as listing every membership, for
places where people arrive, leave and come back, beside audiences that are not a place's."""

import random

from sandbox.store.records import EventRecord
from sandbox.world.events import _Members, _Mine


def _case(seed: int) -> tuple[list[tuple[str, ...]], list[list[int]], list[EventRecord]]:
    rng = random.Random(seed)
    people = [f"p{i}" for i in range(30)]
    here = {"a": set(people[:12]), "b": set(people[12:20])}
    names: list[tuple[str, ...]] = []
    audiences: list[list[int]] = []
    pending: list[EventRecord] = []
    for _ in range(rng.randint(1, 40)):  # audiences in order of emission
        kind = rng.random()
        if kind < 0.7:  # a place's next version: someone arrives or leaves (or comes back)
            place = rng.choice(["a", "b"])
            for _ in range(rng.randint(0, 2)):
                who = rng.choice(people)
                here[place].symmetric_difference_update({who})
            audience = tuple(sorted(here[place]))
            visibility, at = "place", place
        else:  # a list of agents, or everyone
            audience = tuple(rng.sample(people, rng.randint(1, 5))) if kind < 0.9 else tuple(people)
            visibility, at = ("agents" if kind < 0.9 else "public"), None
        first = len(pending)
        for j in range(rng.randint(1, 4)):
            pending.append(
                EventRecord(
                    tick=1, seq=first + j, kind="say", source="x", place=at,
                    visibility=visibility, audience=audience, text="t", data={},
                )
            )  # fmt: skip
        names.append(audience)
        audiences.append(list(range(first, len(pending))))
    return names, audiences, pending


def test_runs_of_versions_are_every_membership():
    for seed in range(200):
        names, audiences, pending = _case(seed)
        members = _Members(names, audiences, pending)
        expected: dict[str, list[int]] = {}
        for number, audience in enumerate(names):
            for name in audience:
                expected.setdefault(name, []).append(number)
        assert set(members.runs) == set(expected), seed
        for name, numbers in expected.items():
            runs = members.runs[name]
            assert sorted(members.numbers(runs)) == numbers, (seed, name)
            events = sum(len(audiences[n]) for n in numbers)
            assert members.events_and_audiences(runs) == (events, len(numbers))
            mine = _Mine(members, runs)
            assert [n for n in range(-1, len(names)) if mine.has(n)] == numbers


def _entry_by_walking(names, base):  # type: ignore[no-untyped-def]
    """``pending_state``'s entry for an audience, by walking every name (the rule, plainly)."""
    if base is None:
        return list(names)
    number, before, _ = base
    drop = [n for n in before if n not in set(names)]
    add = [[i, n] for i, n in enumerate(names) if n not in set(before)]
    if len(drop) * 4 >= len(names) or (len(drop) + len(add)) * 4 >= len(names):
        return list(names)
    return {"from": number, "drop": drop, "add": add}


def test_a_state_audience_is_stored_as_its_change_exactly_when_the_rule_says():
    from sandbox.world.events import _audience_entry, _audience_names

    rng = random.Random(3)
    people = [f"p{i:02d}" for i in range(60)]
    rank = {name: rng.random() for name in people}  # the world's order, not the alphabet's
    for _ in range(500):
        before = tuple(sorted(rng.sample(people, rng.randint(0, 40)), key=rank.__getitem__))
        now = set(before)
        for _ in range(rng.choice([0, 1, 2, 5, 20])):
            now.symmetric_difference_update({rng.choice(people)})
        names = tuple(sorted(now, key=rank.__getitem__))
        for base in (None, (7, before, None), (7, before, set(before))):
            entry, names_set = _audience_entry(names, base)
            assert names_set == (None if base is None else set(names))
            assert entry == _entry_by_walking(names, base)
            if isinstance(entry, dict):  # and it reads back as the names
                entries = [list(before)] * 8
                assert _audience_names([*entries, entry])[-1] == names
