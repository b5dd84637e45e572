"""Charts draw Chinese with the bundled font: no missing glyphs, no tofu boxes."""

from __future__ import annotations

import base64
import io
import warnings
from typing import Any

import pytest

from monitor.digest.charts import render_charts
from monitor.digest.fonts_setup import FAMILIES, FONT_FILE, ensure_fonts
from monitor.digest.labels import ZH, Labels
from monitor.digest.testing import SAMPLE_ENTITIES


def _cmap() -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(FONT_FILE))["cmap"].getBestCmap())


def test_digest_font_is_bundled_with_its_licence() -> None:
    assert FONT_FILE.is_file() and FONT_FILE.stat().st_size < 4_000_000
    licence = (FONT_FILE.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence


def test_digest_font_covers_every_chinese_label_and_sample_name() -> None:
    cmap = _cmap()
    texts = list(ZH.values()) + [e.name for e in SAMPLE_ENTITIES] + ["瀾沐乳業", "陳浩然"]
    missing = {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in cmap}
    assert not missing


def test_digest_matplotlib_resolves_the_bundled_font() -> None:
    from matplotlib import font_manager

    families = ensure_fonts()
    assert families == FAMILIES
    found = font_manager.findfont(font_manager.FontProperties(family=list(families)),
                                  fallback_to_default=False)
    assert found == str(FONT_FILE)


def _png_pixels(uri: str) -> Any:
    from matplotlib.image import imread

    return imread(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])), format="png")


def test_digest_zh_charts_have_no_missing_glyphs(week: Any) -> None:
    labels = Labels("zh", week.inputs.timezone)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = render_charts(week.digest, labels)
    glyph_warnings = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert glyph_warnings == []
    for uri in (charts.trend, charts.entities, charts.voice, charts.matrix):
        assert uri is not None and uri.startswith("data:image/png;base64,")
        pixels = _png_pixels(uri)
        assert pixels.shape[0] > 200 and pixels.std() > 0.05  # not blank


def _draw(text: str) -> Any:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": list(ensure_fonts())}):
        figure = Figure(figsize=(1, 1), dpi=60)
        figure.text(0.1, 0.3, text, fontsize=30)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()  # type: ignore[no-untyped-call]
        return bytes(canvas.buffer_rgba())  # type: ignore[no-untyped-call]


def test_digest_different_hanzi_draw_differently() -> None:
    # Tofu boxes would look the same for every character.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _draw("澜") != _draw("沐") != _draw("险")


def test_digest_missing_glyphs_are_detected() -> None:
    # The check above can fail: a character outside every font does warn.
    with pytest.warns(UserWarning, match="missing from"):
        _draw("\U0001f9a9")
