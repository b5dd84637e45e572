"""Alert delivery library: channels, safe rendering, retry and grouping policies.

Import the submodules you need (``alerts.registry``, ``alerts.message`` ...); this package
itself imports nothing so that ``import alerts`` has no side effects.
"""
