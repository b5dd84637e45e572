"""Public helpers for tests and benchmarks: hand-written XLSX files (decompression bombs, a
large ordinary workbook).

Members are written with ``zipfile`` in streamed pieces, so a bomb that inflates to gigabytes
is a few megabytes on disk and is never held in memory while it is built.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_DOC = "http://schemas.openxmlformats.org"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = f"{_DOC}/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_DOC}/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_DOC}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_DOC}/spreadsheetml/2006/main" xmlns:r="{_REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_DOC}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_PIECE = 1024 * 1024


def _repeat(byte: bytes, size: int) -> Iterable[bytes]:
    block = byte * _PIECE
    for _ in range(size // _PIECE):
        yield block
    yield byte * (size % _PIECE)


def write_xlsx(
    path: Path, sheet: Iterable[bytes], shared: Iterable[bytes] = (b"<sst " + _NS.encode() + b"/>",)
) -> Path:
    """A one-sheet workbook whose sheet and shared-strings XML are given in pieces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, pieces in (("xl/sharedStrings.xml", shared), ("xl/worksheets/sheet1.xml", sheet)):
            with archive.open(name, "w", force_zip64=True) as member:
                for piece in pieces:
                    member.write(piece)
    return path


def _sheet(rows: Iterable[bytes]) -> Iterable[bytes]:
    yield b"<worksheet " + _NS.encode() + b"><sheetData>"
    yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
    yield b'<c r="B1" t="inlineStr"><is><t>text</t></is></c></row>'
    yield from rows
    yield b"</sheetData></worksheet>"


def inline_cell_bomb(path: Path, size: int) -> Path:
    """Row 2's text cell is an inline string of ``size`` bytes: tiny compressed."""
    row = [b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>']
    return write_xlsx(path, _sheet([*row, *_repeat(b"A", size), b"</t></is></c></row>"]))


def shared_string_bomb(path: Path, size: int) -> Path:
    """Row 2's text cell refers to a shared string of ``size`` bytes."""
    shared = [
        b"<sst " + _NS.encode() + b' count="1" uniqueCount="1"><si><t>',
        *_repeat(b"B", size),
        b"</t></si></sst>",
    ]
    row = b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>0</v></c></row>'
    return write_xlsx(path, _sheet([row]), shared)


def large_workbook(path: Path, rows: int) -> Path:
    """``rows`` ordinary rows of inline text, about 120 bytes of text each."""

    def body() -> Iterable[bytes]:
        for n in range(2, rows + 2):
            text = f"mention {n} of a normal export: Acme yoghurt tasted fine, row {n * 7919}"
            yield (
                f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="inlineStr"><is><t>'
                f"{text}</t></is></c></row>"
            ).encode()

    return write_xlsx(path, _sheet(body()))


def wide_row_bomb(path: Path, size: int) -> Path:
    """Row 2 repeats a small cell until its XML is ``size`` bytes: no large cell, one huge row."""
    cell = b'<c r="B2" t="inlineStr"><is><t>x</t></is></c>'
    cells = (cell * (_PIECE // len(cell)) for _ in range(size // _PIECE + 1))
    return write_xlsx(path, _sheet([b'<row r="2"><c r="A2"><v>1</v></c>', *cells, b"</row>"]))


def many_shared_strings(path: Path, count: int) -> Path:
    """``count`` distinct short shared strings, the last one used by row 2's text cell."""

    def shared() -> Iterable[bytes]:
        yield b"<sst " + _NS.encode() + b">"
        for n in range(count):
            yield b"<si><t>s%d</t></si>" % n
        yield b"</sst>"

    row = f'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>{count - 1}</v></c></row>'
    return write_xlsx(path, _sheet([row.encode()]), shared())
