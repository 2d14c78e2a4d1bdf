"""The install steps the Dockerfile runs, in a clean virtual environment.

Docker cannot run here, so this test does what the Dockerfile's build stage does (a
non-editable `pip install .` into a fresh venv) and then runs the installed command from
an empty directory: the wheel must carry its migrations, templates and static files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.processes import ROOT, ServerProcess, clean_env

pytestmark = pytest.mark.slow


def test_dockerfile_installs_what_it_copies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (?!--from)(\S+)", dockerfile, flags=re.M))
    assert copied == {"pyproject.toml", "fediverse_skills", "migrations"}
    assert "USER skills" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert 'CMD ["fediverse-skills", "serve"]' in dockerfile


def test_wheel_installs_and_serves_in_a_clean_venv(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("fediverse_skills-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "fediverse_skills/_migrations/env.py",
        "fediverse_skills/_migrations/versions/0001_initial.py",
        "fediverse_skills/web/templates/home.html",
        "fediverse_skills/web/static/site.css",
    ):
        assert expected in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=600)

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = clean_env()
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONPATH", None)
    version = subprocess.run(
        [env_dir / "bin" / "fediverse-skills", "--version"],
        env=env,
        cwd=run_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.startswith("fediverse-skills ")

    server = ServerProcess(env=env, cwd=run_dir, python=str(python)).start()
    try:
        server.wait_healthy(timeout=60)
    finally:
        assert server.stop() == 0, server.log()
