"""An incident's running aggregates, and its place on the risk matrix from evidence and volume.

The incident is assessed like one mention made of its whole evidence: the mean negativity of
its mentions, the best score of its category (and of the rumour category), the best source
tier, the largest author reach, the summed engagement, the entity's kind, and the volume over
baseline from spike detection. Its strongest single mention counts too: the incident is never
graded below it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerts.sanitize import one_line
from classifiers.matrix import Assessment, RiskSignals, assess
from classifiers.risk_lexicon import CategoryScore
from monitor.db.models import Incident
from monitor.incidents.context import IncidentContext
from playbooks import grade_rank

STATS_VERSION = 1
TOP_MENTIONS = 3
TOP_AUTHORS = 10
MAX_SOURCES = 50
EXCERPT_CHARS = 280
TITLE_EXCERPT_CHARS = 80
LEAD_SHARE = 0.25  # of a story's categorised evidence, for a facet to lead it


@dataclass(slots=True)
class ScoredMention:
    """The columns of one scored mention that incident work reads."""

    id: int
    source_id: str
    author: str | None
    author_reach: int | None
    at: datetime  # published, never later than the ingest time
    lang: str | None
    text: str  # a prefix of the text, enough for titles and fingerprints
    url: str | None
    metrics: Mapping[str, Any]
    duplicate_of: int | None
    entities: list[str]
    sentiment: str | None
    negative_prob: float | None
    categories: list[dict[str, Any]]
    category: str | None  # the incident category: top category unless it never counts
    grade: str
    likelihood: int | None
    impact: int | None
    reasons: list[str]
    story: int | None = None  # the story of its real-world event (monitor.stories)

    @property
    def rank(self) -> int:
        return grade_rank(self.grade)


def engagement(metrics: Mapping[str, Any], weights: Mapping[str, float]) -> float:
    total = 0.0
    for key, value in metrics.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            total += float(value) * weights.get(key, 0.0)
    return total


def _author_rank(
    item: tuple[tuple[str, str], list[int | None]],
) -> tuple[int, int, tuple[str, str]]:
    """Most followers first (an unknown count after every known one), then most mentions."""
    (mentions, followers), key = item[1], item[0]
    return (-(-1 if followers is None else followers), -(mentions or 0), key)


@dataclass
class Tracked:
    """An incident being changed in this batch, with its aggregates unpacked for speed.

    A batch first decides where each mention goes from a light row of every candidate (id,
    entity, category, state, times, fingerprints); only the incidents that receive evidence
    are then loaded in full (``attach``) and unpacked (a deep copy of their aggregates).
    """

    incident_id: int | None
    story_id: int | None
    entity_id: str
    category: str | None
    state: str
    grade: str
    resolved_at: datetime | None
    incident: Incident | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[int]] = field(default_factory=dict)  # source -> [mentions, reach]
    # (author, source) -> [mentions, followers]; followers None while no mention gave a count
    authors: dict[tuple[str, str], list[int | None]] = field(default_factory=dict)
    new_mentions: list[int] = field(default_factory=list)
    is_new: bool = False
    reopened: bool = False
    closed_join: bool = False  # mentions joined it while resolved / false positive
    dirty: bool = False
    unpacked: bool = False
    # plain copies of hot columns: ORM attribute writes per mention cost more than the rest
    first_seen: datetime = field(default=datetime.min)
    last_seen: datetime = field(default=datetime.min)
    counts: list[int] = field(default_factory=list)  # mentions, negative, neutral, positive, reach

    @classmethod
    def wrap(cls, incident: Incident) -> Tracked:
        """Track a loaded (or new) incident."""
        return cls(
            incident.id, incident.story_id, incident.entity_id, incident.category,
            incident.state, incident.grade, incident.resolved_at, incident=incident,
            first_seen=incident.first_seen_at, last_seen=incident.last_seen_at,
        )

    @classmethod
    def light(cls, row: Any) -> Tracked:
        """Track a candidate from a light row (see grouping.IncidentIndex.load)."""
        return cls(
            row.id, row.story_id, row.entity_id, row.category, row.state, row.grade,
            row.resolved_at, first_seen=row.first_seen_at, last_seen=row.last_seen_at,
        )

    @property
    def row(self) -> Incident:
        """The full incident; only valid after ``attach`` (or for new incidents)."""
        if self.incident is None:
            raise RuntimeError(f"incident #{self.incident_id} was not loaded")
        return self.incident

    def attach(self, incident: Incident) -> None:
        self.incident = incident

    def unpack(self) -> None:
        """Copy the stored aggregates into working form (once)."""
        if self.unpacked:
            return
        self.unpacked = True
        incident = self.row
        self.counts = [
            incident.mention_count or 0,
            incident.negative_count or 0,
            incident.neutral_count or 0,
            incident.positive_count or 0,
            incident.reach_total or 0,
        ]
        # a deep copy: nested values mutated in place would hide the change from the ORM
        self.stats = copy.deepcopy(incident.stats or {})
        self.stats.setdefault("v", STATS_VERSION)
        self.sources = {
            str(s["source"]): [int(s.get("mentions", 0)), int(s.get("reach", 0))]
            for s in incident.top_sources or []
            if isinstance(s, dict) and "source" in s
        }
        self.authors = {
            (str(a["author"]), str(a.get("source", ""))): [
                int(a.get("mentions", 0)),
                None if a.get("reach") is None else int(a["reach"]),
            ]
            for a in incident.top_authors or []
            if isinstance(a, dict) and "author" in a
        }

    # -- evidence ---------------------------------------------------------------------------

    def add(self, mention: ScoredMention, *, ctx: IncidentContext) -> None:
        """Fold one mention into the counts, mix, reach, sources, authors and signals."""
        self.unpack()
        st, counts = self.stats, self.counts
        counts[0] += 1
        if mention.sentiment == "negative":
            counts[1] += 1
        elif mention.sentiment == "positive":
            counts[3] += 1
        else:
            counts[2] += 1
        reach = max(mention.author_reach or 0, 0)
        counts[4] += reach
        if mention.at < self.first_seen:
            self.first_seen = mention.at
        if mention.at > self.last_seen:
            self.last_seen = mention.at
        source = self.sources.setdefault(mention.source_id, [0, 0])
        source[0] += 1
        source[1] += reach
        if mention.author:
            author = self.authors.setdefault((mention.author[:128], mention.source_id), [0, None])
            author[0] = (author[0] or 0) + 1
            if mention.author_reach is not None:
                author[1] = max(author[1] or 0, reach)
        if mention.negative_prob is not None:
            st["n"] = st.get("n", 0) + 1
            st["neg"] = st.get("neg", 0.0) + mention.negative_prob
        if mention.category:
            mix: dict[str, int] = st.setdefault("mix", {})
            mix[mention.category] = mix.get(mention.category, 0) + 1
        cats: dict[str, list[Any]] = st.setdefault("cats", {})
        for cat in mention.categories:
            name, score = cat.get("category"), cat.get("score")
            if not isinstance(name, str) or not isinstance(score, int | float):
                continue
            old = cats.get(name)
            if old is None or score > old[0]:
                evidence = [str(e)[:60] for e in (cat.get("evidence") or [])[:3]]
                cats[name] = [float(score), int(cat.get("severity") or 1), evidence]
        tier = ctx.tier_of(mention.source_id)
        st["tier"] = min(st.get("tier", 3), tier)
        if mention.author_reach is not None:
            st["reach"] = max(st.get("reach") or 0, mention.author_reach)
        eng: dict[str, float] = st.setdefault("eng", {})
        for key, value in mention.metrics.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                eng[key] = eng.get(key, 0) + value
        if mention.lang:
            langs: dict[str, int] = st.setdefault("langs", {})
            langs[mention.lang] = langs.get(mention.lang, 0) + 1
        weight = reach + engagement(mention.metrics, ctx.matrix.engagement_weights)
        top: list[list[Any]] = st.setdefault("top", [])
        if len(top) < TOP_MENTIONS or (mention.rank, weight) > (top[-1][0], top[-1][1]):
            top.append([mention.rank, weight, mention.id])
            top.sort(key=lambda row: (-row[0], -row[1], row[2]))
            del top[TOP_MENTIONS:]
        best = st.get("best")
        if best is None or mention.rank > grade_rank(best["grade"]):
            st["best"] = {
                "grade": mention.grade,
                "likelihood": mention.likelihood or 1,
                "impact": mention.impact or 1,
                "reasons": list(mention.reasons)[:4],
                "mention_id": mention.id,
            }
        st.setdefault("first_mention", mention.id)
        self.dirty = True

    def see(self, mention: ScoredMention) -> None:
        """Widen first/last seen (the window test of later mentions in the batch uses them)."""
        if mention.at < self.first_seen:
            self.first_seen = mention.at
        if mention.at > self.last_seen:
            self.last_seen = mention.at

    def store(self) -> None:
        """Write the unpacked aggregates back to the row."""
        self.unpack()
        inc = self.row
        (inc.mention_count, inc.negative_count, inc.neutral_count, inc.positive_count,
         inc.reach_total) = self.counts
        inc.first_seen_at, inc.last_seen_at = self.first_seen, self.last_seen
        inc.stats = self.stats  # already a copy (unpack), so the ORM sees a new value
        inc.top_sources = [
            {"source": s, "mentions": n, "reach": r}
            for s, (n, r) in sorted(self.sources.items(), key=lambda kv: (-kv[1][1], -kv[1][0]))
        ][:MAX_SOURCES]
        ranked = sorted(self.authors.items(), key=_author_rank)
        self.authors = dict(ranked[:TOP_AUTHORS])
        inc.top_authors = [
            {"author": a, "source": s, "mentions": n, "reach": r}
            for (a, s), (n, r) in self.authors.items()
        ]
        inc.categories = dict(self.stats.get("mix") or {})

    def lead_category(self) -> str | None:
        """The facet the incident follows (playbook, title): the most severe category holding
        at least ``LEAD_SHARE`` of the categorised evidence (then the most evidence), else the
        most frequent; None for an incident on volume alone."""
        self.unpack()
        mix: dict[str, int] = self.stats.get("mix") or {}
        if not mix:
            return self.category
        cats: dict[str, list[Any]] = self.stats.get("cats") or {}
        total = sum(mix.values())
        strong = [c for c, n in mix.items() if n >= LEAD_SHARE * total]
        if not strong:
            return min(mix, key=lambda c: (-mix[c], c))
        return min(strong, key=lambda c: (-int(cats.get(c, [0, 1])[1]), -mix[c], c))

    def dominant_lang(self) -> str | None:
        self.unpack()
        langs: dict[str, int] = self.stats.get("langs") or {}
        return max(langs, key=lambda k: langs[k]) if langs else None


def incident_signals(
    tracked: Tracked, *, ctx: IncidentContext, spread: float | None
) -> RiskSignals:
    """The incident as one virtual mention for the risk matrix."""
    tracked.unpack()
    st = tracked.stats
    wanted = {tracked.category, ctx.matrix.rumour_category}
    categories = tuple(
        CategoryScore(category=name, score=v[0], severity=v[1], evidence=tuple(v[2]),
                      source="lexicon")
        for name, v in (st.get("cats") or {}).items()
        if name in wanted
    )
    n = st.get("n", 0)
    return RiskSignals(
        negative_prob=(st.get("neg", 0.0) / n) if n else None,
        categories=categories,
        spread_ratio=spread,
        source_tier=int(st.get("tier", 3)),
        author_reach=st.get("reach"),
        metrics={k: int(v) for k, v in (st.get("eng") or {}).items()},
        entity_kind=ctx.entity_kinds.get(tracked.entity_id),
    )


def assess_incident(
    tracked: Tracked, *, ctx: IncidentContext, spread: float | None
) -> Assessment:
    """The incident's place on the matrix: its aggregate, or its strongest mention if higher."""
    result = assess(signals=incident_signals(tracked, ctx=ctx, spread=spread), config=ctx.matrix)
    best = tracked.stats.get("best")
    if best and grade_rank(best["grade"]) > grade_rank(result.grade):
        reasons = tuple(best.get("reasons") or ())
        return Assessment(
            likelihood=int(best["likelihood"]),
            impact=int(best["impact"]),
            grade=str(best["grade"]),
            reasons=(*reasons, f"graded by its strongest mention #{best['mention_id']}"),
            likelihood_reason=reasons[0] if reasons else "",
            impact_reason=reasons[1] if len(reasons) > 1 else "",
        )
    return result


def make_title(*, ctx: IncidentContext, entity_id: str, category: str | None, text: str) -> str:
    """``Lumina Kids formula · product safety: <first words of the opening mention>``."""
    label = category.replace("_", " ") if category else "volume spike"
    head = f"{one_line(ctx.entity_name(entity_id), 60)} · {label}"
    excerpt = one_line(text, TITLE_EXCERPT_CHARS)
    return f"{head}: {excerpt}" if excerpt else head
