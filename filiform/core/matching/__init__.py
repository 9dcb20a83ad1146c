"""core/matching layer (see docs/architecture.md)."""
