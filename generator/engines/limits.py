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

import os
import pickle
import select
import signal
import sys
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


def run_bounded(function: Callable[[], T], label: str, origin: Origin) -> T:
    """function() in a child process; its GeneratorError is raised here as it was raised there.
    Anything else the child meets (a signal, a panic, a limit) becomes a GeneratorError naming
    the component."""
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return function()
    seconds, memory_mb = limits()
    # The child's stderr: what a crashing evaluator prints (Rust: "memory allocation ... failed")
    with tempfile.TemporaryFile() as stderr:
        status, data = _fork(function, memory_mb, seconds, stderr.fileno())
        stderr.seek(0)
        printed = [line for line in stderr.read().decode(errors="replace").splitlines() if line]
    if status is None:
        raise timeout_error(label, origin)
    try:
        outcome, value = pickle.loads(data)
    except Exception:  # nothing, or half a result: the child died
        outcome, value = "crash", None
    if outcome == "ok":
        result: T = value
        return result
    if outcome == "error":
        message, where, hint = value
        raise GeneratorError(message, where, hint)
    reason = value or _status_text(status) + (f" ({printed[-1][:200]})" if printed else "")
    raise GeneratorError(
        f"{label}: the evaluator stopped: {reason}",
        origin,
        f"the component needs more than {memory_mb} MB or the evaluator crashed on it; look for "
        f"huge arrays, strings or YAML aliases; {MEMORY_ENV} raises the memory limit",
    )


def _fork(
    function: Callable[[], Any], memory_mb: int, seconds: float, stderr: int
) -> tuple[int | None, bytes]:
    """(wait status, what the child sent); status None when the deadline passed first."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe, coverage cannot see it
        os.close(read_end)
        os.dup2(stderr, 2)
        _child(function, write_end, memory_mb)
    os.close(write_end)
    try:
        data, timed_out = _read_until(read_end, time.monotonic() + seconds)
    except BaseException:  # Ctrl-C: the child must not outlive the run
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return (None if timed_out else status), data


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


def _child(function: Callable[[], Any], write_end: int, memory_mb: int) -> None:  # pragma: no cover
    code = 0
    try:
        _limit_memory(memory_mb)
        try:
            payload = ("ok", function())
        except GeneratorError as e:
            payload = ("error", (e.message, e.origin, e.hint))
        except MemoryError:
            payload = ("crash", "out of memory")
        except BaseException as e:  # a Rust panic arrives as a BaseException
            payload = ("crash", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:
        code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


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


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b"", True
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return b"", True
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
    finally:
        os.close(fd)


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"killed by {signal.Signals(number).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
