"""CLI test discipline: an uncaught exception fails the test instead of becoming exit 1.

``CliRunner.invoke`` catches exceptions by default, so a command that crashed with a
traceback looked like an ordinary non-zero exit with empty output and "no traceback"
assertions could never fail.  Here every invocation lets exceptions through; ``typer.Exit``
and ``SystemExit`` (the commands' own exits) still become exit codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner


@pytest.fixture(autouse=True)
def _exceptions_propagate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    original = CliRunner.invoke

    def invoke(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        kwargs["catch_exceptions"] = False
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CliRunner, "invoke", invoke)
    yield


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are matched as text, so a narrow terminal must not wrap them mid-phrase
    (a long temporary path pushed "does not exist" onto two lines on an 80-column run)."""
    from filiform.cli import output

    for console in (output.console, output.err_console):
        monkeypatch.setattr(console, "width", 200)
