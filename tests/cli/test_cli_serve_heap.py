"""``filiform serve`` freezes what start-up built before it starts serving (filiform.cli.serve.settle_heap)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from typer.testing import CliRunner

from filiform.cli.main import app as cli


class _App:
    """Stands in for the web app: a tracked object built at start-up."""


def test_serve_freezes_the_start_up_heap_before_serving(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    built = _App()
    seen: dict[str, Any] = {}

    def run(app: Any, **_: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()
        seen["in view"] = any(o is app for o in gc.get_objects())

    monkeypatch.setattr("filiform.app.factory.create_app", lambda url: built)
    monkeypatch.setattr("uvicorn.run", run)
    assert any(o is built for o in gc.get_objects())  # in the collector's view before
    try:
        result = CliRunner().invoke(cli, ["serve", "--no-worker", "--db", str(tmp_path / "c.db")])
    finally:
        gc.unfreeze()  # this test process goes on; a frozen object is never collected
    assert result.exit_code == 0, result.output
    assert seen["frozen"] > 0 and seen["in view"] is False
