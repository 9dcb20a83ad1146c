"""The models and the migrations describe the same schema, on both databases.

A model added without a migration, a migration without its model, or a model module that
``filiform.storage.models`` forgets to import (so Alembic autogenerate cannot see it) all
show up here as a difference between ``Base.metadata`` and the migrated database.
"""

from __future__ import annotations

import importlib
import pkgutil

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

import filiform.storage
from filiform.storage.models import Base


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
        ]


def test_migrated_schema_equals_the_models(db_engine: Engine) -> None:
    assert _differences(db_engine) == []


def test_every_model_module_is_imported_by_models() -> None:
    """Importing every ``models_*`` module adds no table that ``models`` did not already have."""
    before = set(Base.metadata.tables)
    for info in pkgutil.iter_modules(filiform.storage.__path__):
        if info.name.startswith("models_"):
            importlib.import_module(f"filiform.storage.{info.name}")
    assert set(Base.metadata.tables) == before


def test_a_missing_migration_would_be_caught(db_engine: Engine) -> None:
    """The comparison is not vacuous: a table only the models know is reported."""
    extra = sa.Table("not_migrated", Base.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        diffs = _differences(db_engine)
    finally:
        Base.metadata.remove(extra)
    assert any(isinstance(d, tuple) and d[0] == "add_table" and d[1].name == "not_migrated" for d in diffs)
