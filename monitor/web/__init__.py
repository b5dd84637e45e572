"""The web console and the JSON API under /api/v1 (FastAPI on uvicorn, Jinja2 pages).

Contract: ``create_web_app(app=..., clock=...)`` builds the ASGI application from the
composition root's ``App``; nothing here reads configuration or opens storage by itself.
Every page and API call needs a login (cookie session with CSRF on every form) or an API
token, except ``/healthz``, ``/login`` and ``/static``. Pages live in ``pages/``, API routes
in ``api/``, one module per area; ``app.py`` lists them all. Text from outside (mentions,
authors, notes) reaches pages only through Jinja2's autoescaping.
"""
