import gc

import pytest

from sandbox.collector import collector_paused


def test_the_collector_is_off_inside_and_as_before_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer pause still holds after the inner one
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_back_on_after_an_error_and_stays_off_if_it_was_off() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_survivors_are_frozen_and_cyclic_garbage_is_collected_once_it_has_grown() -> None:
    import weakref

    from sandbox import collector

    with collector_paused():
        garbage = _Cycle()  # cyclic: only the collector frees it
        gone = weakref.ref(garbage)
        kept = [_Cycle() for _ in range(3)]
        del garbage
    assert gc.get_freeze_count() > 0  # the stretch's survivors (and all else) are frozen
    gc.collect()
    assert gone() is not None  # skipped by the collector while frozen
    # stretches leaving cyclic garbage: collected once the frozen objects have grown enough
    baseline = collector._baseline
    assert baseline is not None
    each = 50_000
    needed = int((baseline * (1 + collector.GROWTH) + collector.SLACK) / each) + 3
    for _ in range(needed):
        with collector_paused():
            for _ in range(each // 2):  # two tracked objects each (the instance, its __dict__)
                _Cycle()
        if gone() is None:
            break
    assert gone() is None
    assert all(k.me is k for k in kept)  # what is alive stays alive
    assert gc.get_freeze_count() < baseline * (1 + collector.GROWTH) + collector.SLACK + each


def test_a_closed_and_dropped_world_is_freed() -> None:
    """Neither Mesa's per-model agent numbering nor the frozen objects keep a closed world."""
    import weakref

    from sandbox.testing.crowd import crowd_world
    from sandbox.world.world import World

    world = World(crowd_world(30, places=2))
    world.step()  # a tick: its survivors are frozen
    world.close()
    alive = weakref.ref(world)
    del world
    gc.collect()
    assert alive() is None
