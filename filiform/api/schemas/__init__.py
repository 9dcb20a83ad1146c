"""Request and response models of the REST API, one module per concept.

Request bodies are the core concepts (``filiform.core.concepts``) wherever one exists, so
the API cannot accept what another face refuses; responses are the typed read models of
``filiform.services.records.views`` or the small records defined here.
"""
