"""Rebuild the bundled CJK chart font (run by hand; never imported by crisiswatch).

    python monitor/digest/fonts/build_subset.py NotoSansSC-Regular.otf

Input: Noto Sans SC Regular 2.004 (SIL OFL 1.1, from the noto-cjk project; the copy used was
``pylopdf_fonts_zh_cn/NotoSansSC-Regular.otf`` in the PyPI wheel pylopdf-fonts-zh-cn 0.1.1).
Output: CrisiswatchSansCJK-Regular.otf beside this script, about 2.3 MB: Latin, punctuation,
CJK symbols, full-width forms, every GB2312 hanzi and Big5 level-1 (common Traditional) hanzi,
renamed so it never poses as the original font (the OFL allows modified versions).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "Crisiswatch Sans CJK"
POSTSCRIPT = "CrisiswatchSansCJK-Regular"
OUT = Path(__file__).resolve().parent / f"{POSTSCRIPT}.otf"
RANGES = (
    (0x20, 0x7F),  # ASCII
    (0xA0, 0x180),  # Latin-1, Latin Extended-A
    (0x2000, 0x2070),  # general punctuation
    (0x2100, 0x2200),  # letterlike symbols, number forms, arrows
    (0x2460, 0x2500),  # enclosed alphanumerics
    (0x25A0, 0x2600),  # geometric shapes
    (0x3000, 0x3040),  # CJK symbols and punctuation
    (0xFF00, 0xFFF0),  # half-width and full-width forms
)


def _double_byte(encoding: str, leads: range, trails: list[int]) -> set[int]:
    out: set[int] = set()
    for lead in leads:
        for trail in trails:
            try:
                out.add(ord(bytes((lead, trail)).decode(encoding)))
            except UnicodeDecodeError:
                continue
    return out


def codepoints() -> set[int]:
    """Every code point kept in the subset."""
    points = {cp for start, end in RANGES for cp in range(start, end)}
    points |= _double_byte("gb2312", range(0xA1, 0xF8), list(range(0xA1, 0xFF)))
    big5_trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    points |= _double_byte("big5", range(0xA4, 0xC7), big5_trails)
    return points


def build(source: Path, out: Path = OUT) -> Path:
    """Subset ``source`` to ``codepoints()``, rename it and write ``out``."""
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["DSIG", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 4, 16, 21):
            record.string = FAMILY
        elif record.nameID in (6, 20):
            record.string = POSTSCRIPT
        elif record.nameID == 3:
            record.string = f"{POSTSCRIPT};subset of Noto Sans SC 2.004"
    cff = font["CFF "].cff
    cff.fontNames = [POSTSCRIPT]
    font.save(out)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_subset.py NotoSansSC-Regular.otf")
    print(build(Path(sys.argv[1])))
