"""A function and numbered argument tuples → its results in order, from worker processes.

Workers are started fresh (forkserver, or spawn where there is none), never forked from the
parent: a process that has loaded the Helm SDK runs Go threads, which a fork does not carry.
Results are yielded in argument order whatever finishes first, so output and the first error
are those of a serial run. Workers ignore SIGINT; on Ctrl-C the parent terminates them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def usable_cpus() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def ordered(
    function: Callable[..., T],
    arguments: Sequence[tuple[Any, ...]],
    jobs: int,
    shared: tuple[Any, ...] = (),
) -> Iterator[T]:
    """function(*shared, *arguments[0]), function(*shared, *arguments[1]), … in that order;
    with jobs > 1 in that many processes (function and arguments must then be picklable;
    `shared` travels once to each worker, not with every piece)."""
    if jobs <= 1 or len(arguments) <= 1:
        for args in arguments:
            yield function(*shared, *args)
        return
    import multiprocessing  # 6 ms that a render answered from the cache does without

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = context.Pool(min(jobs, len(arguments)), initializer=_start, initargs=(function, shared))
    try:
        # one task per piece: pieces differ in size, so a worker takes the next when free
        yield from pool.imap(_call, arguments, chunksize=1)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


_work: tuple[Callable[..., Any], tuple[Any, ...]] | None = None  # in a worker: what it runs


def _start(function: Callable[..., Any], shared: tuple[Any, ...]) -> None:
    global _work
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _work = (function, shared)


def _call(args: tuple[Any, ...]) -> Any:
    assert _work is not None  # set by _start in every worker
    function, shared = _work
    return function(*shared, *args)
