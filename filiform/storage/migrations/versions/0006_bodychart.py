"""pain drawings move from atlas 1 (320 regions) to atlas 2 (anatomical chart, 600+ regions)

Every stored drawing's region ids are mapped through filiform/data/atlas/v1_regions.yaml
(filiform.core.atlas.v1): each old region becomes the new regions covering the same skin,
with the same intensity; where two old regions share a new one, the higher intensity is
kept. Amendment rows are history and append-only: they keep the atlas-1 ids they were
written with (``filiform.core.atlas.v1.convert_drawing`` reads them on atlas 2 when
needed). Downgrade maps each new region back to the old region it came from (lossy where
the new chart is finer: the first old region wins).

Revision ID: bodychart
Revises: safety_sites
Create Date: 2026-11-28 10:00:00
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from filiform.core.atlas.v1 import convert_drawing, is_v1_id, v1_map

revision = 'bodychart'
down_revision = 'security'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
drawings = sa.table('pain_drawing', sa.column('id', sa.Integer), sa.column('regions', JSON))


def _up(regions: Any) -> Any:
    if not isinstance(regions, list) or not all(isinstance(r, dict) and is_v1_id(str(r.get('region'))) for r in regions):
        return regions  # not an atlas-1 drawing (already mapped, or not a drawing): left as it is
    return convert_drawing(regions)


def _reverse() -> dict[str, str]:
    back: dict[str, str] = {}
    for old, parts in v1_map().items():
        for part in parts:
            back.setdefault(part.removeprefix('midline:'), old)
    return back


def _down(regions: Any) -> Any:
    if not isinstance(regions, list):
        return regions
    back = _reverse()
    out: dict[str, dict[str, Any]] = {}
    for item in regions:
        side, _, base = str(item['region']).partition('-')
        sides = ('right', 'left') if side == 'midline' else (side,)
        for s in sides if base in back else ():
            rid = f"{s}-{back[base]}"
            keep = {'region': rid, 'intensity': item['intensity']}
            if rid not in out or keep['intensity'] > out[rid]['intensity']:
                out[rid] = keep
    return list(out.values())


def _migrate(convert: Any) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(drawings.c.id, drawings.c.regions)).all():
        new = convert(row.regions)
        if new != row.regions:
            conn.execute(drawings.update().where(drawings.c.id == row.id).values(regions=new))


def upgrade() -> None:
    _migrate(_up)


def downgrade() -> None:
    _migrate(_down)
