"""Composition of the web application: factory, settings and security middleware."""
