"""What the benchmarks share: child processes, ports, bounded waits, percentiles, results.

Everything listens on 127.0.0.1 only. Every wait is bounded in time; every child process is
started here and stopped here, by its own handle.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """The environment without FEDSKILLS_* settings, plus the given ones (FEDSKILLS_ added)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDSKILLS_")}
    env["FEDSKILLS_ENV_FILE"] = os.devnull
    env.update({f"FEDSKILLS_{k}": v for k, v in settings.items()})
    # The bench package must be importable by children started from a temporary directory.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


class BenchError(RuntimeError):
    """A benchmark could not be carried out (a child died, a count is wrong, ...)."""


@dataclass
class Child:
    """A child process with its output in a log file. Stop it with :meth:`stop`."""

    name: str
    args: list[str]
    env: dict[str, str]
    cwd: Path
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self) -> Child:
        self.log_path = self.cwd / f"{self.name}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.args,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def log(self, tail: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-tail:]

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        """Poll ``url`` until it answers 200, the process dies, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (127.0.0.1)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = exc
            time.sleep(0.1)
        raise BenchError(f"{self.name} not ready after {timeout:g}s ({last}):\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout)


@contextlib.contextmanager
def running(child: Child) -> Iterator[Child]:
    child.start()
    try:
        yield child
    finally:
        child.stop()


def http_json(url: str, *, method: str = "GET", timeout: float = 10.0) -> Any:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, method=method, data=data)  # noqa: S310 (127.0.0.1)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (127.0.0.1)
        return json.loads(response.read() or b"null")


# ----------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the results table.

    ``value`` is our figure, ``baseline`` the same quantity measured for the baseline in the
    same run, ``ratio`` ``value / baseline`` when that is what the goal is about. ``passed``
    is None for rows that only inform.
    """

    figure: str
    value: float | None
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    goal: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass
class FigureResult:
    name: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": [asdict(r) for r in self.rows],
            "details": self.details,
            "error": self.error,
        }


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or baseline is None or baseline <= 0:
        return None
    return ours / baseline


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def sink_process(workdir: Path) -> Iterator[tuple[str, int]]:
    """The delivery sink (bench/sink.py) as a separate process: yields (base URL, port)."""
    port = free_port()
    sink = Child("sink", [PYTHON, "-m", "bench.sink", "--port", str(port)], clean_env(), workdir)
    sink.start()
    try:
        sink.wait_http(f"http://{HOST}:{port}/_stats")
        yield f"http://{HOST}:{port}", port
        sink.check_alive()
    finally:
        sink.stop()
