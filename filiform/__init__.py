"""Filiform: an open-source clinical system for dry needling.

The package is layered (see docs/architecture.md):

* ``filiform.core`` – pure domain: knowledge base, atlas, matching, safety, planning,
  outcome scoring, HRV. No database, web or CLI imports.
* ``filiform.storage`` – SQLAlchemy models, migrations, durability settings.
* ``filiform.services`` / ``filiform.reports`` / ``filiform.fhir`` – rules that need storage.
* ``filiform.cli`` / ``filiform.api`` / ``filiform.web`` – thin faces.
"""

__version__ = "0.1.0"
