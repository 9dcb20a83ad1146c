"""core/safety layer (see docs/architecture.md)."""
