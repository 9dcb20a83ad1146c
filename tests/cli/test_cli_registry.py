"""The root command lists every command without importing it, and imports only what one needs.

The listing comes from ``COMMANDS`` in ``filiform.cli.main``; these tests hold it to what
each family module really registers (names and help lines), and run the real entry point
in fresh interpreters to see which heavy libraries a command pulls in.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from filiform.cli.main import COMMANDS, app, family_commands

FAMILIES = sorted({family for family, _ in COMMANDS.values()})
HEAVY = ("scipy", "matplotlib", "sqlalchemy", "alembic")

PROBE = """
import json, sys
heavy = sys.argv[1].split(",")
sys.argv = ["filiform", *sys.argv[2:]]
from filiform.cli.main import app
code = 0
try:
    app()
except SystemExit as exc:
    code = exc.code or 0
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
print(json.dumps({"code": code, "heavy": loaded}), file=sys.stderr)
"""


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_registers_exactly_its_listed_commands(family: str) -> None:
    registered = family_commands(family)
    listed = {name for name, (fam, _) in COMMANDS.items() if fam == family}
    assert set(registered) == listed
    for name, command in registered.items():
        real = (command.short_help or command.help or "").strip().splitlines()[0]
        assert COMMANDS[name][1] == real, f"the help line of '{name}' differs from its command's"


def test_the_root_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name, (_, line) in COMMANDS.items():
        assert f" {name} " in result.output and line[:40] in result.output
    assert " version " in result.output


def test_a_listed_command_runs_and_a_typo_is_suggested() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["kb", "show", "infraspinatus", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["id"] == "infraspinatus"
    typo = runner.invoke(app, ["mach"], terminal_width=200)
    assert typo.exit_code == 2 and "Did you mean 'match'" in typo.output


def _probe(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), *args], capture_output=True, text=True, timeout=300, check=False
    )
    result: dict[str, object] = json.loads(out.stderr.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["kb", "show", "infraspinatus"],
        ["kb", "stats"],
        ["match", "-r", "right temple (middle),right-upper-teeth-front,right eyebrow (lateral)"],
    ],
    ids=["help", "kb-show", "kb-stats", "match"],
)
def test_commands_without_a_database_import_no_heavy_library(args: list[str]) -> None:
    result = _probe(*args)
    assert result["code"] == 0
    assert result["heavy"] == [], f"`filiform {' '.join(args)}` imports {result['heavy']}"


def test_the_probe_sees_a_command_that_needs_the_database() -> None:
    """The check itself: the database commands do import SQLAlchemy and Alembic."""
    result = _probe("db", "--help")
    assert result["code"] == 0
    assert {"sqlalchemy", "alembic"} <= set(result["heavy"])  # type: ignore[arg-type]
