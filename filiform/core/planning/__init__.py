"""core/planning layer (see docs/architecture.md)."""
