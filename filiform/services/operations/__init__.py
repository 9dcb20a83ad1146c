"""services.operations (see docs/architecture.md)."""
