"""App-level fixtures reuse the API's two-clinic world builder (tests/api/api_world.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
