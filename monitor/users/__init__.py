"""Console and API accounts: users with roles, API tokens, login sessions and the audit log.

Plain functions over a SQLAlchemy session; the clock comes in as ``now``. The CLI
(``crisiswatch users``) and the web console (monitor.web) are two faces of the same functions.
"""
