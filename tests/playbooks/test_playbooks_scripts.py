"""Response scripts: approval bound to the text, expiry, literal filling, in-place approval."""

from __future__ import annotations

import dataclasses
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from playbooks import (
    ApprovalStatus,
    ResponseScript,
    ScriptError,
    approval_status,
    approve,
    approve_script_in_file,
    fill_script,
    load_scripts,
    offerable_scripts,
    review,
    review_script_in_file,
    text_sha256,
    unfilled_placeholders,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ONE = ("final",)  # a sign-off alone
DAY = timedelta(days=1)


def script(
    text: str = "Hello from ${brand} (ref ${incident_id}).", **fields: object
) -> ResponseScript:
    base: dict[str, object] = {
        "id": "s.en", "scenario": "general", "lang": "en", "text": text,
        "required_steps": ("final",),  # the sign-off alone; review chains are tested below
    }
    return ResponseScript(**{**base, **fields})  # type: ignore[arg-type]


def test_placeholders_are_derived_in_order() -> None:
    assert script("${brand} on ${date}, call ${hotline}; ${brand} again, $$5").placeholders == (
        "brand",
        "date",
        "hotline",
    )


def test_hash_normalises_line_endings_only() -> None:
    assert text_sha256("a\r\nb\rc\n") == text_sha256("a\nb\nc\n")
    assert text_sha256("a\nb") != text_sha256("a\nb ")
    assert len(text_sha256("x")) == 64


def test_approval_states() -> None:
    plain = script()
    assert approval_status(script=plain, now=NOW) == ApprovalStatus(False, "not approved")
    approved = approve(script=plain, by="Jane Li", now=NOW, valid_for=30 * DAY)
    final = approved.review("final")
    assert final is not None and final.sha256 == text_sha256(plain.text)
    assert approval_status(script=approved, now=NOW + DAY).reason == (
        "approved by Jane Li on 2026-03-02, expires 2026-04-01"
    )
    assert approval_status(script=approved, now=NOW + DAY).approved

    edited = dataclasses.replace(approved, text=approved.text + " Extra claim.")
    assert approval_status(script=edited, now=NOW + DAY) == ApprovalStatus(
        False, "text changed after the final review (hash mismatch)"
    )
    assert approval_status(script=approved, now=NOW + 30 * DAY) == ApprovalStatus(
        False, "final review expired on 2026-04-01"
    )
    assert not offerable_scripts(scripts=[edited], ids=["s.en"], now=NOW)
    assert not offerable_scripts(scripts=[approved], ids=["s.en"], now=NOW + 30 * DAY)


def test_only_line_endings_are_normalised_for_the_hash() -> None:
    approved = approve(script=script("Line one\nline two\n"), by="a", now=NOW)
    crlf = dataclasses.replace(approved, text="Line one\r\nline two\r\n")
    assert approval_status(script=crlf, now=NOW).approved
    spaced = dataclasses.replace(approved, text="Line one \nline two\n")
    assert not approval_status(script=spaced, now=NOW).approved


def test_default_validity_and_bad_approver() -> None:
    approved = approve(script=script(), by="  ops lead ", now=NOW.replace(microsecond=5))
    assert approved.approved_by == "ops lead"
    assert approved.approved_at == NOW
    assert approved.expires_at == NOW + timedelta(days=180)
    for bad in ("", "   ", "two\nlines", "x" * 101):
        with pytest.raises(ScriptError, match="approver name"):
            approve(script=script(), by=bad, now=NOW)
    with pytest.raises(ScriptError, match="valid_for must be positive"):
        approve(script=script(), by="a", now=NOW, valid_for=timedelta(0))
    with pytest.raises(ScriptError, match="timezone-aware"):
        approve(script=script(), by="a", now=datetime(2026, 3, 2))


@pytest.mark.parametrize(
    "hostile",
    ["${brand}", "$brand", "{{7*7}}", "{% include '/etc/passwd' %}", "$(rm -rf /)", "`id`", "$$"],
)
def test_values_are_inserted_literally(hostile: str) -> None:
    out = fill_script(script=script(), values={"brand": "Acme", "incident_id": hostile})
    assert out == f"Hello from Acme (ref {hostile})."


def test_unknown_placeholders_stay_visible_and_extra_values_are_ignored() -> None:
    tpl = script("Dear ${name}, ${brand} will update you by ${next_update}. Costs $$5.")
    out = fill_script(script=tpl, values={"brand": "Acme", "unused": "x"})
    assert out == "Dear ${name}, Acme will update you by ${next_update}. Costs $5."
    assert unfilled_placeholders(script=tpl, values={"brand": "Acme"}) == ("name", "next_update")


def test_values_are_one_line_and_capped() -> None:
    tpl = script("[${brand}]")
    assert fill_script(script=tpl, values={"brand": "A\ncme\x00 \u202eInc\t"}) == "[A cme Inc]"
    long = fill_script(script=tpl, values={"brand": "x" * 1000}, max_value_chars=10)
    assert long == "[" + "x" * 9 + "…]"
    with pytest.raises(TypeError, match="must be str"):
        fill_script(script=tpl, values={"brand": 5})  # type: ignore[dict-item]


def test_offerable_scripts_filters_approval_lang_and_scenario() -> None:
    def ok(**f: str) -> ResponseScript:
        return approve(script=script(**f), by="a", now=NOW)

    en = ok(id="p.en", scenario="product_safety")
    zh = ok(id="p.zh", scenario="product_safety", lang="zh")
    general = ok(id="g.en", scenario="general")
    outage = ok(id="o.en", scenario="service_outage")
    stale = dataclasses.replace(ok(id="x.en"), text="changed")
    unapproved = script(id="u.en")
    pool = [en, zh, general, outage, stale, unapproved]
    ids = ["g.en", "p.zh", "p.en", "o.en", "x.en", "u.en", "missing", "p.en"]
    assert offerable_scripts(scripts=pool, ids=ids, now=NOW) == [general, zh, en, outage]
    assert offerable_scripts(scripts=pool, ids=ids, now=NOW, lang="zh-CN") == [zh]
    assert offerable_scripts(scripts=pool, ids=ids, now=NOW, scenario="product_safety") == [
        general,
        zh,
        en,
    ]
    assert offerable_scripts(scripts=pool, ids=ids, now=NOW + 181 * DAY) == []


FILE = """\
# Our scripts. Keep this comment.
scripts:
  # first one
  - id: a.en
    scenario: general
    lang: en
    title: Holding
    text: |
      ${brand} is looking into it.
      Call ${hotline}.
  - id: b.zh   # trailing comment
    scenario: general
    lang: zh
    text: "${brand}正在核实。"
    approval:
      by: old
      at: 2025-01-01T00:00:00Z   # block style, written by hand
      expires: 2025-06-01T00:00:00Z
      sha256: '0000000000000000000000000000000000000000000000000000000000000000'
  # end of list
"""


def test_approve_in_file_round_trip_keeps_comments_and_other_entries(tmp_path: Path) -> None:
    path = tmp_path / "scripts.yaml"
    path.write_text(FILE, encoding="utf-8")
    os.chmod(path, 0o640)
    before = {s.id: s for s in load_scripts(path, review_steps=ONE)}
    assert approval_status(script=before["b.zh"], now=NOW).reason == (
        "text changed after the final review (hash mismatch)"
    )

    done = approve_script_in_file(
        path=path, script_id="a.en", by="Jane", now=NOW, review_steps=ONE
    )
    after = {s.id: s for s in load_scripts(path, review_steps=ONE)}
    assert after["a.en"] == done
    assert approval_status(script=done, now=NOW + DAY).reason == (
        "approved by Jane on 2026-03-02, expires 2026-08-29"
    )
    assert after["b.zh"] == before["b.zh"]
    text = path.read_text(encoding="utf-8")
    for line in FILE.splitlines():
        assert line in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scripts.yaml"]

    # A hand-written block approval moves under reviews; re-approving replaces the line.
    approve_script_in_file(
        path=path, script_id="b.zh", by="Wang", now=NOW, valid_for=DAY, review_steps=ONE
    )
    again = approve_script_in_file(
        path=path, script_id="a.en", by="Lee", now=NOW + DAY, review_steps=ONE
    )
    text = path.read_text(encoding="utf-8")
    assert "approval:" not in text and text.count("reviews:\n") == 2
    assert text.count("final: {by:") == 2 and "by: old" not in text
    assert "# end of list" in text and "# trailing comment" in text
    final = {s.id: s for s in load_scripts(path, review_steps=ONE)}
    assert final["a.en"] == again and again.approved_by == "Lee"
    assert approval_status(script=final["b.zh"], now=NOW).approved


def test_editing_the_file_after_approval_unapproves(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(FILE, encoding="utf-8")
    approve_script_in_file(path=path, script_id="a.en", by="Jane", now=NOW, review_steps=ONE)
    path.write_text(path.read_text(encoding="utf-8").replace("looking into", "fixing"), "utf-8")
    (edited, _) = load_scripts(path, review_steps=ONE)
    assert approval_status(script=edited, now=NOW).reason == (
        "text changed after the final review (hash mismatch)"
    )
    assert offerable_scripts(scripts=[edited], ids=["a.en"], now=NOW) == []


def test_approve_in_file_keeps_crlf_and_rejects_unknown_ids(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(FILE.replace("\n", "\r\n").encode("utf-8"))
    approve_script_in_file(path=path, script_id="a.en", by="Jane", now=NOW, review_steps=ONE)
    raw = path.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")
    with pytest.raises(ScriptError, match=r"no script with id 'zz' \(known: a.en, b.zh\)"):
        approve_script_in_file(path=path, script_id="zz", by="Jane", now=NOW)


def test_flow_style_entries_are_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    original = "scripts:\n  - {id: a.en, scenario: g, lang: en, text: hi}\n"
    path.write_text(original, encoding="utf-8")
    with pytest.raises(ScriptError, match="flow style"):
        approve_script_in_file(
            path=path, script_id="a.en", by="Jane", now=NOW, review_steps=ONE
        )
    assert path.read_text(encoding="utf-8") == original


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  - id: a.en\n", "  - id: A EN\n", "scripts[0].id: expected a script id, got 'A EN'"),
        ("    lang: en\n", "    lang: english!\n", "scripts[0].lang: expected a language tag"),
        ("    title: Holding\n", "    titel: Holding\n", "scripts[0].titel: unknown key 'titel'"),
        ("  - id: b.zh", "  - id: a.en", "scripts[1].id: duplicate script id 'a.en'"),
        ("sha256: '0000", "sha256: 'zz00", "scripts[1].approval.sha256: expected a sha256"),
        ("T00:00:00Z   #", "T00:00:00   #", "scripts[1].approval.at: expected a timestamp with"),
        ("      by: old\n", "", "scripts[1].approval: missing required key 'by'"),
        ("2025-06-01T", "2024-06-01T", "scripts[1].approval.expires: expected a time after"),
        ("    scenario: general\n", "", "scripts[0]: missing required key 'scenario'"),
    ],
)
def test_load_errors_name_file_and_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in FILE
    path = tmp_path / "scripts.yaml"
    path.write_text(FILE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScriptError) as info:
        load_scripts(path, review_steps=ONE)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)
    assert info.value.line is not None


def test_duplicate_ids_across_files_and_folder_skips_playbooks(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(FILE, encoding="utf-8")
    (tmp_path / "p.yaml").write_text("name: p\nscripts: [a.en]\n", encoding="utf-8")
    assert [s.id for s in load_scripts(tmp_path)] == ["a.en", "b.zh"]
    assert [s.id for s in load_scripts(p for p in [tmp_path / "one.yaml"])] == ["a.en", "b.zh"]
    with pytest.raises(
        ScriptError, match=r"p.yaml: name: unknown key 'name' \(expected one of: scripts\)"
    ):
        load_scripts([tmp_path / "p.yaml"])  # named explicitly, so it must be a script file
    (tmp_path / "two.yaml").write_text(FILE, encoding="utf-8")
    with pytest.raises(ScriptError, match=r"two.yaml: scripts\[0\].id: duplicate script id 'a.en'"):
        load_scripts(tmp_path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("From $brand today", "write placeholders as ${brand} in every language, not $brand"),
        ("【{brand}声明】", "write placeholders as ${brand} in every language, not {brand}"),
        ("{{ hotline }}", "write placeholders as ${hotline} in every language, not {{ hotline }}"),
        ("call ${hotlin}", "unknown placeholder ${hotlin} (known: brand, hotline)"),
        ("costs $5", "a '$' starts no placeholder; write $$ for a literal $"),
    ],
)
def test_a_script_with_a_miswritten_or_unknown_placeholder_is_rejected_with_its_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "scripts.yaml"
    path.write_text(
        "scripts:\n  - id: a.zh\n    scenario: general\n    lang: zh\n"
        f"    text: '${{brand}}: {text}'\n",
        encoding="utf-8",
    )
    with pytest.raises(ScriptError) as caught:
        load_scripts(path, placeholders={"brand", "hotline"})
    assert str(caught.value) == f"{path}: scripts[0].text: {problem} (line 5)"


def test_every_shipped_script_writes_placeholders_one_way() -> None:
    from playbooks import DEFAULT_PLACEHOLDERS, default_scripts_path

    scripts = load_scripts(default_scripts_path(), placeholders=DEFAULT_PLACEHOLDERS)
    assert scripts and all("${" in s.text for s in scripts if s.placeholders)


CHAIN = ("compliance", "brand", "accuracy", "final")


def test_a_chain_needs_every_step_on_the_current_text() -> None:
    plain = script(required_steps=CHAIN)
    assert approval_status(script=plain, now=NOW).reason == "not approved"
    done = review(script=plain, step="compliance", by="Wen", now=NOW)
    assert approval_status(script=done, now=NOW) == ApprovalStatus(
        False, "not approved: needs the brand, accuracy, final review"
    )
    for step, valid in (("brand", 10 * DAY), ("accuracy", 180 * DAY), ("final", 180 * DAY)):
        done = review(script=done, step=step, by=step.title(), now=NOW, valid_for=valid)
    assert [r.step for r in done.reviews] == list(CHAIN)
    status = approval_status(script=done, now=NOW + DAY)
    assert status == ApprovalStatus(
        True, "approved by Final on 2026-03-02 after compliance, brand, accuracy review, "
        "expires 2026-03-12"
    )
    assert done.expires_at == NOW + 10 * DAY and done.approved_by == "Final"
    # the step that lapses first takes the script out of use
    assert approval_status(script=done, now=NOW + 10 * DAY) == ApprovalStatus(
        False, "brand review expired on 2026-03-12"
    )
    # a step reviewed again on an edited text does not vouch for the other steps
    edited = dataclasses.replace(done, text=done.text + " New claim.")
    again = review(script=edited, step="brand", by="Mei", now=NOW + DAY)
    assert approval_status(script=again, now=NOW + DAY) == ApprovalStatus(
        False, "text changed after the compliance review (hash mismatch)"
    )
    with pytest.raises(ScriptError, match="unknown review step 'legal'"):
        review(script=plain, step="legal", by="Wen", now=NOW)


CHAIN_FILE = """\
scripts:
  - id: a.en
    scenario: general
    lang: en
    text: "${brand} is looking into it."
    approval: {by: "Old", at: '2026-03-01T00:00:00+00:00', expires: '2026-09-01T00:00:00+00:00',
               sha256: 'SHA'}
  - id: b.en
    scenario: general
    lang: en
    text: Hello.
"""


def test_reviews_in_file_move_the_old_approval_and_keep_unverified_names(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    sha = text_sha256("${brand} is looking into it.")
    path.write_text(CHAIN_FILE.replace("SHA", sha), encoding="utf-8")
    (old, _) = load_scripts(path, review_steps=CHAIN)
    final = old.review("final")
    assert final is not None and final.by == "Old" and final.verified
    assert approval_status(script=old, now=NOW).reason == (
        "not approved: needs the compliance, brand, accuracy review"
    )
    review_script_in_file(path=path, script_id="a.en", step="compliance", by="Wen", now=NOW,
                          verified=False, review_steps=CHAIN)
    text = path.read_text(encoding="utf-8")
    assert "approval:" not in text and "    reviews:\n      compliance: {by: \"Wen\"" in text
    assert "unverified: true}\n      final: {by: \"Old\"" in text
    for step in ("brand", "accuracy"):
        review_script_in_file(path=path, script_id="a.en", step=step, by="Mei", now=NOW,
                              review_steps=CHAIN)
    (reviewed, other) = load_scripts(path, review_steps=CHAIN)
    assert approval_status(script=reviewed, now=NOW).approved
    assert [(r.step, r.by, r.verified) for r in reviewed.reviews] == [
        ("compliance", "Wen", False), ("brand", "Mei", True), ("accuracy", "Mei", True),
        ("final", "Old", True),
    ]
    assert other.reviews == ()


@pytest.mark.parametrize(
    ("reviews", "problem"),
    [
        ("{final: {by: a, at: '2026-01-01T00:00:00Z', expires: '2026-06-01T00:00:00Z', "
         "sha256: '" + "0" * 64 + "'}}", "the final review is given twice"),
        ("{Brand: {by: a}}", "expected a review step name, got 'Brand'"),
        ("{brand: {by: a, at: '2026-01-01T00:00:00Z', expires: '2026-06-01T00:00:00Z', "
         "sha256: '" + "0" * 64 + "', unverified: 'no'}}", "expected true or false"),
        ("[compliance]", "expected a mapping of review steps"),
    ],
)
def test_bad_reviews_are_one_line_errors(tmp_path: Path, reviews: str, problem: str) -> None:
    path = tmp_path / "s.yaml"
    text = CHAIN_FILE.replace("SHA", "0" * 64)
    path.write_text(text.replace("'}\n", f"'}}\n    reviews: {reviews}\n", 1), encoding="utf-8")
    with pytest.raises(ScriptError, match=problem) as caught:
        load_scripts(path, review_steps=CHAIN)
    assert "s.yaml" in str(caught.value) and "scripts[0].reviews" in str(caught.value)
