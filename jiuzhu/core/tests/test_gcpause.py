"""The cyclic collector waits while a batch job runs and comes back after it (issue 20)."""

from __future__ import annotations

import gc
import threading

import pytest

from jiuzhu.core.gcpause import collector_paused


@pytest.fixture(autouse=True)
def collector_running():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_waits_inside_and_runs_again_after():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_comes_back_after_an_error():
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_nested_blocks_restore_it_once_at_the_outermost_end():
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_two_threads_at_once_leave_it_off_until_the_last_one_ends():
    first_inside, second_done, seen = threading.Event(), threading.Event(), []

    def first() -> None:
        with collector_paused():
            first_inside.set()
            second_done.wait(5)
            seen.append(gc.isenabled())

    def second() -> None:
        first_inside.wait(5)
        with collector_paused():
            pass
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_it_works_as_a_decorator_each_call_on_its_own():
    @collector_paused()
    def job() -> bool:
        return gc.isenabled()

    assert job() is False and job() is False
    assert gc.isenabled()
