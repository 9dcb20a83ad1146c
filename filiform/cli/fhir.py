"""FHIR R4 commands: export a patient's Bundle or a clinic's Bulk NDJSON, import, billing.

The commands act as a named user (``--user``) or, when the database holds one clinic,
as that clinic's administrator; every export is audited as a disclosure by that actor.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from filiform.cli.database import DB_OPTION, USER_OPTION, acting, errors, existing_engine, progress_bar
from filiform.cli.output import console, fail
from filiform.cli.smart import smart_app
from filiform.fhir import billing, exporter, foreign, importer, sources
from filiform.storage.engine import session_factory, transaction

BASE_OPTION = typer.Option(exporter.DEFAULT_BASE, "--base-url", help="Server root used in fullUrl and document links.")

export_app = typer.Typer(help="Export records as FHIR R4.", no_args_is_help=True)
import_app = typer.Typer(help="Import FHIR R4 records.", no_args_is_help=True)
billing_app = typer.Typer(help="Billing summaries (CPT 20560/20561, billable ICD-10-CM).", no_args_is_help=True)


def _check_out_file(out: Path) -> None:
    """Refuse an output file that cannot be written, before anything is exported.

    Exports are audited as disclosures, so a typo in ``--out`` must fail before the
    export runs, not after a disclosure was logged for a file that never existed.
    """
    if out.is_dir():
        fail(f"cannot write to {out}: it is a folder")
    if not out.parent.is_dir():
        fail(f"cannot write to {out}: folder {out.parent} does not exist")


@export_app.command("fhir")
def export_fhir(
    patient: int = typer.Option(..., "--patient", min=1, help="Patient id."),
    out: Path | None = typer.Option(None, "--out", help="Bundle file (default: stdout)."),
    user: str | None = USER_OPTION,
    base_url: str = BASE_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """One patient's whole record as an R4 Bundle (collection)."""
    if out is not None:
        _check_out_file(out)
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            bundle = exporter.patient_bundle(s, actor=acting(s, user), patient_id=patient, base_url=base_url)
        text = json.dumps(bundle, indent=1, ensure_ascii=False)
        if out is None:
            sys.stdout.write(text + "\n")
            return
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}: {len(bundle['entry'])} resources")


@export_app.command("bulk")
def export_bulk(
    out: Path = typer.Option(..., "--out", help="Folder for the NDJSON files and manifest.json."),
    user: str | None = USER_OPTION,
    base_url: str = BASE_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """The whole clinic as Bulk Data NDJSON, one file per resource type."""
    if out.exists() and not out.is_dir():
        fail(f"cannot write to {out}: it exists and is not a folder")
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            actor = acting(s, user)
        with progress_bar() as bar:
            task = bar.add_task("records", total=None)
            manifest = exporter.bulk_export(
                engine,
                actor=actor,
                out_dir=out,
                base_url=base_url,
                on_total=lambda n: bar.update(task, total=n),
                progress=lambda n: bar.advance(task, n),
            )
        total = sum(o["count"] for o in manifest["output"])
        console.print(f"wrote {total} resources in {len(manifest['output'])} files to {out}")


@import_app.command("fhir")
def import_fhir(
    source: Path = typer.Argument(
        ..., help="A Bundle (`filiform export fhir`), an NDJSON file, or a Bulk Data folder (`filiform export bulk`)."
    ),
    skip_unsupported: bool = typer.Option(
        False, "--skip-unsupported", help="Leave out (and list) resources Filiform cannot store instead of refusing."
    ),
    mrn_system: str | None = typer.Option(
        None, "--mrn-system", help="Identifier system of the sender's record numbers (default: the type MR)."
    ),
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Import FHIR records, streaming.

    Into an empty database (create it with `db upgrade`): a Filiform export, ids kept.
    Into a clinic: another system's patients, with their allergies and medicines as a
    proposed screening for a clinician to confirm (act as a clinician with --user).
    Resources Filiform cannot store are listed and refuse the import, unless
    ``--skip-unsupported`` is given (then they are listed as left out).
    """
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            if importer.database_is_empty(s):
                report = importer.import_path(s, source, skip_unsupported=skip_unsupported)
            else:
                report = foreign.import_foreign(
                    s,
                    actor=acting(s, user),
                    items=sources.resources(source),
                    skip_unsupported=skip_unsupported,
                    mrn_system=mrn_system,
                )
        for line in report.left_out:
            console.print(f"left out: {line}")
        console.print("imported " + ", ".join(f"{v} {k}" for k, v in report.counts.items() if v))


@billing_app.command("csv")
def billing_csv(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    encounter_codes: Path | None = typer.Option(
        None,
        "--encounter-codes",
        exists=True,
        dir_okay=False,
        help="CSV (session_id,cpt) of other codes billed in the same encounters, e.g. acupuncture 97810-97814.",
    ),
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """One line per session: distinct muscles, CPT code, billable ICD-10-CM codes, flags."""
    _check_out_file(out)
    with errors():
        others = None
        if encounter_codes is not None:
            with encounter_codes.open(encoding="utf-8", newline="") as handle:
                others = billing.read_encounter_codes(handle)
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            actor = acting(s, user)
        with out.open("w", encoding="utf-8", newline="") as handle:
            n = billing.billing_csv(engine, actor=actor, out=handle, encounter_codes=others)
        console.print(f"wrote {out}: {n} sessions")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    app.add_typer(billing_app, name="billing")
    app.add_typer(smart_app, name="smart")
