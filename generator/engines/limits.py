"""A function that evaluates one component → its result, run in a forked child process with a
wall-clock and a memory limit, so a native evaluator that aborts, panics, loops or exhausts
memory costs that component an error naming it, never the CLI. deadline() bounds in-process
Python evaluation (Jinja) in time only.

Used for native evaluators (Jsonnet: jrsonnet in Rust, the C++ reference implementation). It
works the same in the main process and in a process-pool worker: the child is forked from
whichever process evaluates the component. Where fork is unavailable the function runs
in-process, unbounded.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from generator.errors import GeneratorError
from generator.model import Origin

T = TypeVar("T")

# Per component; GENERATOR_COMPONENT_SECONDS and GENERATOR_COMPONENT_MEMORY_MB override them
# (docs/development.md). A legitimate component takes well under a second and some MB.
SECONDS_ENV, MEMORY_ENV = "GENERATOR_COMPONENT_SECONDS", "GENERATOR_COMPONENT_MEMORY_MB"
DEFAULT_SECONDS, DEFAULT_MEMORY_MB = 120.0, 4096


def limits() -> tuple[float, int]:
    """(seconds, memory MB) from the environment, else the defaults."""
    try:
        seconds = float(os.environ.get(SECONDS_ENV) or DEFAULT_SECONDS)
        memory = int(os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_MB)
    except ValueError as e:
        raise GeneratorError(
            f"{SECONDS_ENV} / {MEMORY_ENV} must be numbers: {e}",
            hint=f"unset them to use {DEFAULT_SECONDS:.0f} s and {DEFAULT_MEMORY_MB} MB",
        ) from e
    return seconds, memory


def run_bounded(function: Callable[..., T], args: tuple[Any, ...], label: str, origin: Origin) -> T:
    """function(*args) in the worker process; its GeneratorError is raised here as it was
    raised there. Anything else the worker meets (a signal, a panic, a limit) becomes a
    GeneratorError naming the component, and the next call forks a fresh worker.

    `function` must be a module-level function and `args` picklable: they travel to the worker
    through a pipe. One worker serves every component of a run, so a fork (10-20 ms in a
    process that has loaded the Helm SDK) is paid once, not per component.
    """
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return function(*args)
    seconds, memory_mb = limits()
    worker = _worker(memory_mb)
    deadline = time.monotonic() + seconds
    try:
        reply = worker.ask(pickle.dumps((function, args)), deadline)
    except BaseException:  # Ctrl-C: the worker must not outlive the run
        worker.stop(kill=True)
        raise
    value: Any
    if reply is None:  # the deadline passed or the worker died: start afresh next time
        status = worker.stop(kill=time.monotonic() >= deadline)
        if status is None:
            raise timeout_error(label, origin)
        words = worker.last_words
        reason = _status_text(status) + (f" ({words})" if words else "")
        outcome, value = "crash", reason
    else:
        outcome, value = pickle.loads(reply)
    if outcome == "ok":
        result: T = value
        return result
    if outcome == "error":
        message, where, hint = value
        raise GeneratorError(message, where, hint)
    raise GeneratorError(
        f"{label}: the evaluator stopped: {value}",
        origin,
        f"the component needs more than {memory_mb} MB or the evaluator crashed on it; look for "
        f"huge arrays, strings or YAML aliases; {MEMORY_ENV} raises the memory limit",
    )


class _Worker:
    """A forked child evaluating requests one at a time: 8-byte length, then a pickle, each
    way. Its stderr goes to a file, for the last words of a crash."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.parent = os.getpid()
        self.last_words = ""  # the last line it printed, once stopped
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        to_child, self.requests = os.pipe()
        self.replies, from_child = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child; coverage cannot see it
            os.close(self.requests)
            os.close(self.replies)
            os.dup2(self.stderr.fileno(), 2)
            # A Python traceback of the abort would hide the evaluator's own last words (and
            # under pytest it goes to the terminal): the parent reports the crash instead.
            faulthandler.disable()
            _serve(to_child, from_child, memory_mb)
        os.close(to_child)
        os.close(from_child)

    def ask(self, request: bytes, deadline: float) -> bytes | None:
        """The reply, or None when the deadline passed or the worker died first."""
        try:
            _write_all(self.requests, len(request).to_bytes(8, "big") + request)
        except BrokenPipeError:
            return None
        size = _read_exactly(self.replies, 8, deadline)
        return None if size is None else _read_exactly(self.replies, int.from_bytes(size), deadline)

    def stop(self, *, kill: bool) -> int | None:
        """Reap the worker, killing it first if asked (a deadline passed, Ctrl-C, a new limit):
        its wait status, None when it was killed."""
        global _current
        _current = None
        if kill:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.requests)
        os.close(self.replies)
        self.stderr.seek(0)
        printed = self.stderr.read().decode(errors="replace").splitlines()
        self.stderr.close()
        self.last_words = next((line[:200] for line in reversed(printed) if line), "")
        return None if kill else status


_current: _Worker | None = None


def _worker(memory_mb: int) -> _Worker:
    """This process's worker; a new one after a fork (a pool process) or a changed limit."""
    global _current
    if _current is not None and _current.parent != os.getpid():
        _current = None  # inherited from the parent process: not ours to use or stop
    if _current is not None and _current.memory_mb != memory_mb:
        _current.stop(kill=True)
    if _current is None:
        _current = _Worker(memory_mb)
    return _current


def _serve(requests: int, replies: int, memory_mb: int) -> None:  # pragma: no cover - child
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        _limit_memory(memory_mb)
        while True:
            size = _read_exactly(requests, 8, None)
            if size is None:  # the parent is gone
                break
            function, args = pickle.loads(
                _read_exactly(requests, int.from_bytes(size), None) or b""
            )
            try:
                payload: tuple[str, Any] = ("ok", function(*args))
            except GeneratorError as e:
                payload = ("error", (e.message, e.origin, e.hint))
            except MemoryError:
                payload = ("crash", "out of memory")
            except BaseException as e:  # a Rust panic arrives as a BaseException
                first = str(e).splitlines()[0] if str(e) else ""
                payload = ("crash", f"{type(e).__name__}: {first}")
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(replies, len(data).to_bytes(8, "big") + data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    """`size` bytes from fd; None at end of file or when the deadline passes first."""
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def timeout_error(label: str, origin: Origin) -> GeneratorError:
    return GeneratorError(
        f"{label}: evaluation did not finish within {limits()[0]:g} seconds",
        origin,
        f"look for unbounded recursion or very large loops; {SECONDS_ENV} raises the limit",
    )


class OutOfTime(Exception):
    """Raised into Python code that runs past its deadline()."""


@contextmanager
def deadline(label: str, origin: Origin) -> Iterator[None]:
    """A wall-clock limit on in-process Python evaluation (the Jinja engine): SIGALRM raises
    OutOfTime into the running code. Only the main thread of a process receives signals; in
    any other thread the block runs unbounded in time."""
    seconds, _ = limits()
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):  # pragma: no cover
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except OutOfTime as e:
        raise timeout_error(label, origin) from e
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _limit_memory(memory_mb: int) -> None:  # pragma: no cover - runs in the child
    import resource

    # The address space already mapped (the Go runtime of the Helm SDK reserves a lot) plus
    # the component's allowance.
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        mapped = 0
    limit = mapped + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"killed by {signal.Signals(number).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
