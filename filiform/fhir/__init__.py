"""FHIR R4 (4.0.1): mapping, streaming export, import, validation helpers, billing.

Sits beside filiform.services (it may import services, storage and core); faces import
it, never the reverse. See docs/fhir.md.
"""
