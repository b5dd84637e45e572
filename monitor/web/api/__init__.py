"""The JSON API under /api/v1: one module per resource, each with a ``router`` listed in
monitor.web.app; errors are ``{"detail": "one line"}`` with a 4xx status."""
