"""services.records (see docs/architecture.md)."""
