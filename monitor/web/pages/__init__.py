"""The console's pages: one module per area, each with a ``router`` listed in monitor.web.app."""
