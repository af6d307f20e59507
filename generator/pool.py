"""A function and numbered argument tuples → its results in order, from worker processes.

Workers are forked from this process while it runs one thread (they then start in
milliseconds, with the catalog already in memory); otherwise they are started fresh
(forkserver, or spawn where there is none): a process that has loaded the Helm SDK runs Go
threads, which a fork does not carry.
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

    processes = min(jobs, len(arguments))
    global _work
    if _fork_is_safe():  # the workers start as copies of this process: nothing is pickled
        _work = (function, shared, arguments)  # but the index of each piece
        pool = multiprocessing.get_context("fork").Pool(processes, initializer=_start)
        pieces: Sequence[Any] = range(len(arguments))
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        pool = context.Pool(processes, initializer=_start, initargs=(function, shared))
        pieces = arguments
    try:
        # one task per piece: pieces differ in size, so a worker takes the next when free
        yield from pool.imap(_call, pieces, chunksize=1)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _work = None


# in a worker: what it runs, and the pieces when they came with a fork (then tasks are indices)
_work: tuple[Callable[..., Any], tuple[Any, ...], Sequence[tuple[Any, ...]] | None] | None = None


def only_thread() -> bool:
    """Whether this process runs a single thread, native ones included (Linux counts them all;
    elsewhere: no). Only then does a fork copy a process whose locks nobody holds."""
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # pragma: no cover - not Linux
        return False


def _fork_is_safe() -> bool:
    """A fork copies one thread: safe on Linux while this process runs no other, such as the Go
    runtime of the Helm SDK once loaded (the module is checked too: its threads may start late)."""
    import sys

    return (
        sys.platform == "linux"
        and only_thread()
        and not any(name.startswith("helm_python") for name in sys.modules)
    )


def _start(function: Callable[..., Any] | None = None, shared: tuple[Any, ...] = ()) -> None:
    global _work
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if function is not None:  # started fresh, not forked
        _work = (function, shared, None)


def _call(piece: Any) -> Any:
    assert _work is not None  # set before the fork or by _start in every worker
    function, shared, arguments = _work
    args = piece if arguments is None else arguments[piece]
    return function(*shared, *args)
