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


def test_survivors_are_frozen_and_thawed_so_cycles_are_collected_in_the_end() -> None:
    import weakref

    from sandbox.collector import THAW_EVERY

    with collector_paused():
        garbage = _Cycle()  # cyclic: only the collector frees it
        gone = weakref.ref(garbage)
        kept = [_Cycle() for _ in range(3)]
        del garbage
    thawed = gc.get_freeze_count() == 0  # this stretch happened to be a thawing one
    if not thawed:
        gc.collect()
        assert gone() is not None  # frozen with the stretch's survivors: skipped
    for _ in range(THAW_EVERY):
        with collector_paused():
            pass
    gc.collect()
    assert gone() is None  # thawed within THAW_EVERY stretches, then collected
    assert all(k.me is k for k in kept)  # what is alive stays alive
