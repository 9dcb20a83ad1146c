"""core/hrv layer (see docs/architecture.md)."""
