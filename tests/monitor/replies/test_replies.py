"""Reply SLAs: deadlines stored with new mentions (intent, source tier, business hours, the
owning team's hours), replies imported from an export column, recorded by the CLI, listed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from config.loader import LoadedConfig, load_config
from monitor.app import App, open_app
from monitor.cli.main import cli
from monitor.db.models import Mention, Reply, ReplyDeadline
from monitor.replies.listing import overdue_count, overdue_replies, reply_rows

FRIDAY_4PM = "2026-11-27T16:00:00Z"  # London is on UTC in November
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the Monday after, noon

CONFIG = """\
version: 1
organisation: {name: Acme, timezone: Europe/London}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme]}
  - {id: kids, name: Acme Kids, kind: product, query: '"Acme Kids"'}
sources:
  - {id: shop, kind: export, path: shop.csv, tier: 2}
  - {id: news, kind: export, path: news.csv, tier: 1}
business_hours:
  hours: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}]
PEOPLE
"""
PEOPLE = """\
people:
  - {id: ana, name: Ana Li}
  - {id: bo, name: Bo Chen, contacts: {slack: U0BO}}
teams:
  - id: care
    name: Customer care
    members: [ana, bo]
    entities: [kids]
    business_hours:
      hours: [{days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "24:00"}]
"""
SHOP = f"""\
id,text,date,replied_at,replied_by
1,"Where can I buy Acme formula in Leeds? The shop near me is out",{FRIDAY_4PM},,
2,"Acme customer service never answered, I want a refund for this broken order",{FRIDAY_4PM},\
2026-11-27T16:30:00Z,ana
3,"Acme yoghurt tasted lovely today",{FRIDAY_4PM},soon,
4,"Where can I buy Acme Kids formula? The shop near me is out",{FRIDAY_4PM},,
"""
NEWS = f"""\
id,text,date
n1,"Where can I buy Acme formula? Shops report shortages",{FRIDAY_4PM}
"""


def _config(tmp_path: Path, *, people: bool = True) -> LoadedConfig:
    (tmp_path / "shop.csv").write_text(SHOP, encoding="utf-8")
    (tmp_path / "news.csv").write_text(NEWS, encoding="utf-8")
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(CONFIG.replace("PEOPLE\n", PEOPLE if people else ""), encoding="utf-8")
    return load_config(path)


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[App]:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with open_app(_config(tmp_path), database=db, clock=lambda: NOW) as opened:
        yield opened


def _by_external(app: App) -> dict[str, int]:
    with app.sessions() as s:
        return {m.external_id: m.id for m in s.scalars(select(Mention))}


def test_enquiries_and_complaints_get_deadlines_in_working_hours(app: App) -> None:
    stats = [app.poll_source(s) for s in app.settings.sources]
    ids = _by_external(app)
    with app.sessions() as s:
        deadlines = {d.mention_id: d for d in s.scalars(select(ReplyDeadline))}
    # the news article (tier 1) and the praise need no reply
    assert set(deadlines) == {ids["1"], ids["2"], ids["4"]}
    complaint, enquiry, kids = deadlines[ids["2"]], deadlines[ids["1"]], deadlines[ids["4"]]
    assert (complaint.intent, complaint.basis) == ("complaint", "intent")
    # 2h of working time from Friday 16:00: one hour on Friday, one on Monday
    assert complaint.due_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert complaint.hours == "*"
    # 24h: Friday 1h, Monday 8h, Tuesday 8h, Wednesday 7h
    assert enquiry.due_at == datetime(2026, 12, 2, 16, tzinfo=UTC)
    # the product's team works around the clock: a wall-clock day
    assert (kids.intent, kids.hours) == ("enquiry", "care")
    assert kids.due_at == datetime(2026, 11, 28, 16, tzinfo=UTC)
    shop = next(st for st in stats if st.source_id == "shop")
    assert shop.new == 4
    assert shop.warnings == [
        f"1 row of {app.config.base_dir / 'shop.csv'} with a reply time that is not a date and "
        "time in column 'replied_at': stored without their reply (line 4)"
    ]


def test_exported_replies_are_recorded_once_and_listed(app: App) -> None:
    for source in app.settings.sources:
        app.poll_source(source)
        app.poll_source(source, force=True)  # read again: the reply is not stored twice
    ids = _by_external(app)
    with app.sessions() as s:
        replies = list(s.scalars(select(Reply)))
        rows = {r.mention_id: r for r in reply_rows(s, now=NOW)}
        overdue = overdue_replies(s, now=NOW)
        assert overdue_count(s, now=NOW) == 1
        assert [r.mention_id for r in reply_rows(s, now=NOW, entity="kids")] == [ids["4"]]
    assert [(r.mention_id, r.replied_by, r.verified, r.via) for r in replies] == [
        (ids["2"], "ana", True, "import")
    ]
    assert rows[ids["2"]].replied_at == datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    assert not rows[ids["2"]].late()
    assert [r.mention_id for r in overdue] == [ids["4"]]  # due Saturday, nobody replied
    assert not rows[ids["1"]].overdue(NOW)


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("CRISISWATCH_CONFIG", str(tmp_path / "crisiswatch.yaml"))

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


def test_reply_names_a_known_person_and_replies_lists_who_replied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path)
    run = _cli(tmp_path, monkeypatch)
    assert run("poll", "shop").exit_code == 0
    kids = run("replies", "--entity", "kids", "--json")
    [row] = json.loads(kids.output)
    assert (row["intent"], row["overdue"], row["replied_by"]) == ("enquiry", True, None)
    unknown = run("reply", str(row["mention"]), "--by", "anna")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: unknown person 'anna' (did you mean 'ana'?)"
    done = run(
        "reply", str(row["mention"]), "--by", "bo", "--at", "2026-11-28 18:00", "--note", "DM"
    )
    assert done.exit_code == 0, done.output
    assert done.output.strip() == (
        f"mention {row['mention']}: reply at 2026-11-28 18:00 UTC by bo recorded; 2h after its "
        "deadline 2026-11-28 16:00 UTC"
    )
    listed = run("replies", "--since", "2026-11-01")
    assert "replied 2h late" in listed.output and "bo" in listed.output
    assert run("replies", "--overdue").output.strip() != ""
    # replied to, and published over a week ago: only shown with an earlier --since
    assert json.loads(run("replies", "--entity", "kids", "--json").output) == []
    [after] = json.loads(
        run("replies", "--entity", "kids", "--since", "2026-11-01", "--json").output
    )
    assert (after["replied_by"], after["verified"], after["via"]) == ("bo", True, "cli")
    bad = run("replies", "--entity", "kid")
    assert bad.exit_code == 1 and "did you mean 'kids'" in bad.output
    assert run("reply", "999", "--by", "bo").output.strip() == "error: no mention 999"


def test_without_people_a_reply_is_recorded_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, people=False)
    run = _cli(tmp_path, monkeypatch)
    run("poll", "shop")
    listed = json.loads(run("replies", "--since", "2026-11-01", "--json").output)
    [row] = [r for r in listed if r["intent"] == "complaint"]
    done = run("reply", str(row["mention"]), "--by", "Somebody New", "--at", "1h")
    assert done.exit_code == 0, done.output
    assert "by Somebody New (unverified: no people are configured)" in done.output
    assert "an earlier reply counts for its deadline" in done.output  # the exported one


def test_the_digest_reports_reply_rate_and_time_to_reply_against_the_goal(app: App) -> None:
    from datetime import date

    from monitor.digest.labels import Labels
    from monitor.digest.period import Period
    from monitor.digest.reply_figures import reply_figures
    from monitor.digest.reply_tables import reply_tables

    for source in app.settings.sources:
        app.poll_source(source)
    week = Period(first=date(2026, 11, 23), end=date(2026, 11, 30), tz="Europe/London")
    with app.sessions() as s:
        figures = reply_figures(session=s, period=week, now=NOW, goal=0.9)
    # the complaint replied in 30 min; the product enquiry overdue; the other one not yet due
    assert (figures.needing, figures.replied, figures.in_time, figures.pending) == (3, 1, 1, 1)
    assert figures.in_time_rate == 0.5 and figures.goal_met is False
    assert figures.time_to_reply.median_s == 1800
    assert figures.overdue_total == 1 and [o.intent for o in figures.overdue] == ["enquiry"]
    assert [(r.intent, r.needing) for r in figures.by_intent] == [("complaint", 1), ("enquiry", 2)]

    class _Digest:
        replies = figures

    summary, overdue = reply_tables(_Digest(), Labels("en", "Europe/London"))  # type: ignore[arg-type]
    assert ("Replied in time", "1 of 2 (50.0%)") in summary.rows
    assert summary.note == "Goal: 90% of replies in time (not met)."
    assert overdue.title == "Overdue replies (1)"
    assert overdue.rows[0][3] == "2026-11-28 16:00 UTC"


def test_overdue_replies_are_a_gauge_of_the_service(app: App) -> None:
    from monitor.service.metrics import DatabaseCollector

    for source in app.settings.sources:
        app.poll_source(source)
    gauges = {m.name: m for m in DatabaseCollector(app.sessions, lambda: NOW).collect()}
    [sample] = gauges["crisiswatch_replies_overdue"].samples
    assert sample.value == 1  # the product enquiry, due on Saturday


def test_deadlines_and_imported_replies_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    with open_app(_config(tmp_path), database=pg_url, clock=lambda: NOW) as pg:
        for source in pg.settings.sources:
            pg.poll_source(source)
            pg.poll_source(source, force=True)
        with pg.sessions() as s:
            rows = reply_rows(s, now=NOW)
            assert overdue_count(s, now=NOW) == 1
    assert sorted((r.due_at, r.intent, r.replied_by) for r in rows) == [
        (datetime(2026, 11, 28, 16, tzinfo=UTC), "enquiry", None),
        (datetime(2026, 11, 30, 10, tzinfo=UTC), "complaint", "ana"),
        (datetime(2026, 12, 2, 16, tzinfo=UTC), "enquiry", None),
    ]


def test_a_later_export_of_the_same_messages_records_their_replies(app: App) -> None:
    shop = app.settings.sources[0]
    app.poll_source(shop)
    later = SHOP.replace(f"{FRIDAY_4PM},,\n", f"{FRIDAY_4PM},2026-11-30T09:30:00Z,bo\n", 1)
    (app.config.base_dir / "shop.csv").write_text(later, encoding="utf-8")
    again = app.poll_source(shop)
    assert (again.new, again.duplicate) == (0, 4)
    ids = _by_external(app)
    with app.sessions() as s:
        replies = sorted((r.mention_id, r.replied_by, r.via) for r in s.scalars(select(Reply)))
    assert replies == sorted([(ids["1"], "bo", "import"), (ids["2"], "ana", "import")])


def test_an_unknown_complaint_category_is_a_config_error_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path)
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "replies:\n  deadlines: {complaint: 1h}\n  complaint_categories: [customer_complaints]\n",
        encoding="utf-8",
    )
    result = _cli(tmp_path, monkeypatch)("check-config", str(path))
    assert result.exit_code == 1
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert (
        f"crisiswatch.yaml:{line}: replies.complaint_categories[0]: unknown risk category "
        "'customer_complaints' (did you mean 'customer_complaint'?)"
    ) in result.output
