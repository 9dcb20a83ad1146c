"""Bad input at the real command line: exit 2, the exact message on stderr, no traceback.

Run as a separate process through the installed ``filiform`` entry point, so nothing of the
test runner (which catches exceptions and captures output) can hide a crash: an uncaught
exception would show as exit 1 with a traceback on stderr, and fail these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FILIFORM = Path(sys.executable).with_name("filiform")

CASES = [
    (
        ["measure", "score", "ndi", "--answers", "1,2,0,3,1,2,1,0,2,9"],
        "error: NDI: 1 answer(s) not accepted\n"
        "  - item s10 (Recreation): 9 is out of range; allowed: whole numbers 0–5",
    ),
    (["measure", "score", "nope", "--answers", "1"], "error: unknown instrument"),
    (["screen", "--target", "no_such_muscle"], "error: no target 'no_such_muscle' in the knowledge base"),
    (["hrv", "analyse", "{tmp}/missing.csv", "-p", "baseline=0-60"], "error: {tmp}/missing.csv: no such file"),
    (["restore", "{tmp}/missing.bk", "--db", "sqlite:///{tmp}/x.db"], "error: {tmp}/missing.bk does not exist"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a[:2]) for a, _ in CASES])
def test_bad_input_exits_2_with_the_message_and_no_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "FILIFORM_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    done = subprocess.run([str(FILIFORM), *argv], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert message.replace("{tmp}", str(tmp_path)) in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_python_dash_m_is_the_same_command_line(tmp_path: Path) -> None:
    """``python -m filiform`` (no script on the PATH) answers as the script does."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "filiform", "measure", "score", "nope", "--answers", "1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, check=False, cwd=tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "error: unknown instrument" in done.stderr
    assert (
        "Usage: filiform"
        in subprocess.run(
            [sys.executable, "-m", "filiform", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        ).stdout
    )
