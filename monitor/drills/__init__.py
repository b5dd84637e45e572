"""Drills: a crisis scenario replayed through the real pipeline into its own database.

``scenario`` reads and plans the timeline, ``clock`` keeps drill time, ``replay`` runs it,
``report`` measures it. Nothing is imported here, so ``monitor.app`` can use ``clock``.
"""
