"""services.access (see docs/architecture.md)."""
