"""The bundled CJK font, registered with matplotlib on first use (never at import)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

FONT_FAMILY = "Crisiswatch Sans CJK"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "CrisiswatchSansCJK-Regular.otf"
# Per-glyph fallback (matplotlib >= 3.6): hanzi and Latin from the bundled font, anything it
# lacks from matplotlib's own DejaVu Sans.
FAMILIES: tuple[str, ...] = (FONT_FAMILY, "DejaVu Sans")

_LOCK = threading.Lock()
_READY = False
log = logging.getLogger(__name__)


def ensure_fonts() -> tuple[str, ...]:
    """Register the bundled font once; return the font families charts should use."""
    global _READY
    with _LOCK:
        if not _READY:
            from matplotlib import font_manager

            if FONT_FILE.is_file():
                font_manager.fontManager.addfont(str(FONT_FILE))
            else:
                log.warning("chart font missing (%s): Chinese labels will not render", FONT_FILE)
            _READY = True
    return FAMILIES


def font_subset_data_uri(text: str) -> str | None:
    """The bundled font cut down to the characters of ``text``, as a data URI (None if absent).

    Lets an HTML digest show Chinese on machines without a CJK font, at a few tens of KB.
    """
    if not FONT_FILE.is_file():
        return None
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONT_FILE))
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "BASE"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return "data:font/otf;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
