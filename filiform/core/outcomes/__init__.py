"""core/outcomes layer (see docs/architecture.md)."""
