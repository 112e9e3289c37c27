"""The HTTP API v1 (FastAPI): ``app.create_app`` builds it, ``server.serve`` runs it (``readout serve``).

Nothing is imported here, so that importing one module of the package (``auth``) does not load the rest.
"""
