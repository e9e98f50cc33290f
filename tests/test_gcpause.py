"""`gcpause.quiet`: the collector paused while layers are read, and everything undone afterwards."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from auditor import gcpause


@pytest.fixture(autouse=True)
def _clean_collector():
    before = gc.get_threshold()
    yield
    assert gcpause._readers == 0
    gc.set_threshold(*before)
    gc.unfreeze()


def test_objects_alive_at_the_start_are_frozen_and_young_collections_are_rarer():
    threshold = gc.get_threshold()
    with gcpause.quiet():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= gcpause.GEN0
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold


def test_a_cycle_alive_at_the_start_and_dropped_during_the_pause_is_collected_after_it():
    class Node:
        pass

    node = Node()
    node.self = node  # type: ignore[attr-defined]
    ref = weakref.ref(node)
    with gcpause.quiet():
        del node
        gc.collect()
        assert ref() is not None  # frozen: a sweep's long-lived objects are never walked meanwhile
    gc.collect()
    assert ref() is None


def test_the_pause_ends_only_when_the_last_of_several_readers_leaves():
    threshold = gc.get_threshold()
    entered, leave = threading.Event(), threading.Event()

    def other_reader() -> None:
        with gcpause.quiet():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=other_reader)
    thread.start()
    entered.wait(10)
    with gcpause.quiet():
        pass
    assert gc.get_freeze_count() > 0  # the other reader is still inside
    assert gc.get_threshold()[0] >= gcpause.GEN0
    leave.set()
    thread.join(10)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold


def test_an_error_inside_still_ends_the_pause():
    threshold = gc.get_threshold()
    with pytest.raises(RuntimeError), gcpause.quiet():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold
