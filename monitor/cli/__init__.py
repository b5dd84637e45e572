"""The ``crisiswatch`` command line: ``main`` registers one module per command group.

Nothing is imported here, so importing one command module does not load the others.
"""
