"""The intent labels (one definition), in a module that imports nothing.

``classifiers.intent`` scores with them; the command line offers them as a choice without
loading the models' libraries.
"""

from __future__ import annotations

INTENT_LABELS: tuple[str, ...] = ("interaction", "enquiry", "complaint", "other")
