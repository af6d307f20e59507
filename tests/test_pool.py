"""Rendering clusters in worker processes: the same files, findings and errors as a serial
render, whatever the number of workers; Ctrl-C leaves rendered/ as it was."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path, PurePosixPath

import pytest

from generator.errors import GeneratorError, GeneratorErrors
from generator.model import Origin
from generator.pipeline import render_all
from generator.pool import ordered
from tests.conftest import EXAMPLE, MINIMAL, copy_repo, run_cli, snapshot, write_tree


def square(index: int) -> int:
    return index * index


def fail_some(index: int) -> int:
    if index in (2, 5):
        raise GeneratorError(f"piece {index} failed")
    return index


def test_results_come_in_argument_order_from_any_number_of_workers() -> None:
    for jobs in (1, 2, 3):
        assert list(ordered(square, [(i,) for i in range(7)], jobs)) == [i * i for i in range(7)]


def started_by(index: int) -> tuple[int, str]:
    """A forked worker is the calling process's child; a forkserver's is the server's."""
    return index, "fork" if os.getppid() == CALLER else "forkserver"


CALLER = os.getpid()  # in a forked worker: the process it was forked from
ROOT = Path(__file__).resolve().parent.parent


def test_workers_are_forked_from_a_process_with_one_thread_and_no_go_runtime() -> None:
    """In a fresh process (this one may have loaded the Helm SDK): pieces travel as indices
    into the forked copy of the arguments, results come in order."""
    script = (
        "from generator.pool import ordered\n"
        "from tests.test_pool import square, started_by\n"
        "print(list(ordered(started_by, [(i,) for i in range(4)], 2)))\n"
        "print(list(ordered(square, [(i,) for i in range(4)], 2)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    forked = [(i, "fork") for i in range(4)]
    assert done.stdout.splitlines() == [str(forked), "[0, 1, 4, 9]"]


def test_workers_start_fresh_beside_the_go_runtime_or_another_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pieces = [(i,) for i in range(4)]
    fresh = [(i, "forkserver") for i in range(4)]
    monkeypatch.setitem(sys.modules, "helm_python._native", sys)  # the Helm SDK's Go threads
    assert list(ordered(started_by, pieces, 2)) == fresh
    monkeypatch.delitem(sys.modules, "helm_python._native")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert list(ordered(started_by, pieces, 2)) == fresh
    finally:
        stop.set()
        thread.join()


def test_the_first_error_in_serial_order_is_raised() -> None:
    results: list[int] = []

    def collect() -> None:
        for value in ordered(fail_some, [(i,) for i in range(8)], 2):
            results.append(value)

    with pytest.raises(GeneratorError, match="piece 2 failed"):
        collect()
    assert results == [0, 1]


def test_collected_errors_cross_processes_whole() -> None:
    errors = GeneratorErrors(
        [GeneratorError("b", Origin(PurePosixPath("b.yaml"), 2), "fix b"), GeneratorError("a")]
    )
    assert str(pickle.loads(pickle.dumps(errors))) == str(errors)


def test_two_workers_render_the_example_byte_for_byte_like_one(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    serial = render_all(repo, use_cache=False, jobs=1)
    parallel = render_all(repo, use_cache=False, jobs=2)
    assert [(f.relpath, f.text) for f in parallel.files] == [
        (f.relpath, f.text) for f in serial.files
    ]
    assert parallel.findings == serial.findings


def test_jobs_on_the_command_line_and_its_errors(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path / "repo",
        {
            **MINIMAL,
            "catalog/clusters/dev-2.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "dev-1", "dev-2"
            ),
            "charts/web/deployment.yaml.j2": MINIMAL["charts/web/deployment.yaml.j2"].replace(
                "{{ values.replicas }}", "{{ values.replicas }}{{ cluster.nme }}"
            ),
        },
    )
    hint = (
        "  hint: did you mean 'cluster.name'? define it in the catalog or guard it with "
        "`is defined` / `| default(...)`\n"
    )
    serial = run_cli(["render", "--repo", str(repo), "--jobs", "1"])
    result = run_cli(["render", "--repo", str(repo), "--jobs", "2"])
    assert (result.code, result.out) == (2, "")
    assert (
        result.err
        == serial.err
        == (  # every cluster's error, in cluster order
            "error: charts/web/deployment.yaml.j2:6: dev-1/web: undefined value 'cluster.nme'\n"
            + hint
            + "charts/web/deployment.yaml.j2:6: dev-2/web: undefined value 'cluster.nme'\n"
            + hint
        )
    )
    assert not (repo / "rendered").exists()
    zero = run_cli(["render", "--repo", str(repo), "--jobs", "0"])
    assert zero.code == 2
    assert zero.err.endswith(
        "Error: Invalid value for '-j' / '--jobs': 0 is not in the range x>=1.\n"
    )
    assert not (repo / "rendered").exists()


def test_parallel_render_writes_the_same_tree(tmp_path: Path) -> None:
    one = copy_repo(EXAMPLE, tmp_path / "one")
    two = copy_repo(EXAMPLE, tmp_path / "two")
    for repo, jobs in ((one, "1"), (two, "2")):
        (repo / "rendered").rename(repo / "committed")
        assert run_cli(["-q", "render", "--repo", str(repo), "--jobs", jobs]).code == 0
    assert snapshot(one / "rendered") == snapshot(two / "rendered")
    assert snapshot(two / "rendered") == snapshot(two / "committed")


def children(pid: int) -> set[int]:
    """The processes whose parent is pid (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_ctrl_c_during_a_pooled_render_leaves_rendered_untouched(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    local = (repo / "catalog/clusters/kind-local.yaml").read_text()
    for index in range(10):  # more clusters, so the render is still running when interrupted
        name = f"kind-x{index}"
        (repo / f"catalog/clusters/{name}.yaml").write_text(local.replace("kind-local", name))
    before = snapshot(repo)
    command = [
        sys.executable,
        "-m",
        "generator",
        "render",
        "--repo",
        str(repo),
        "--jobs",
        "2",
        "--no-cache",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    # the pool's workers: forked from the render, or children of a fork server
    while len(workers) < 2:
        assert process.poll() is None, process.communicate()  # it must not end on its own
        assert time.monotonic() < deadline
        first = children(process.pid)
        workers = first | {w for parent in first for w in children(parent)}
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (130, "", "\naborted\n")
    assert snapshot(repo) == before  # no file written, no temporary folder left
    while any(Path(f"/proc/{w}").exists() for w in workers):  # and no worker left running
        assert time.monotonic() < deadline, workers
        time.sleep(0.05)
