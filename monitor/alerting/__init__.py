"""Alert delivery inside the service: the outbox, its dispatcher and claims, the configured
channels and the Slack buttons. The channels themselves are the ``alerts`` library.

Nothing is imported here; import the modules directly.
"""
