"""``make fuzz``: the long fuzz run, one pytest process per database so that both cores
work, then the inputs each target ran and the total.

    python -m tests.fuzz.run [PYTEST ARGS...]

FEDSKILLS_FUZZ=long selects the long Hypothesis profile (tests/fuzz/profiles.py);
FEDSKILLS_FUZZ_SCALE scales it. Each run's log is kept in $FUZZ_LOG_DIR (default: a
temporary directory) and its tail printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKENDS = ("sqlite", "postgres")


def main(argv: list[str]) -> int:
    logs = Path(os.environ.get("FUZZ_LOG_DIR") or tempfile.mkdtemp(prefix="fuzz-"))
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    runs: dict[str, tuple[subprocess.Popen[bytes], Path, Path]] = {}
    for backend in BACKENDS:
        log, report = logs / f"{backend}.log", logs / f"{backend}.json"
        report.unlink(missing_ok=True)
        env = {**os.environ, "FEDSKILLS_FUZZ": "long", "FEDSKILLS_FUZZ_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-k", backend, *argv]
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        runs[backend] = (process, log, report)
        print(f"fuzz: {backend} running, log in {log}", flush=True)
    failed = False
    totals: dict[str, int] = {}
    for backend, (process, log, report) in runs.items():
        code = process.wait()
        failed = failed or code != 0
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        print(f"\n===== {backend}: exit {code} =====", *tail, sep="\n")
        if report.exists():
            totals.update(json.loads(report.read_text(encoding="utf-8")))
    minutes = (time.monotonic() - started) / 60
    print("\n===== fuzz inputs per target =====")
    for target, count in sorted(totals.items()):
        print(f"{target}: {count}")
    outcome = "FAILED" if failed else "passed"
    print(f"total: {sum(totals.values())} inputs in {minutes:.1f} min; {outcome}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
