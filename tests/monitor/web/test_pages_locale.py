"""Every word of the stories, on-call, sources, silences, reports and users pages exists in
English and Chinese, and pages.yaml holds only those pages' keys."""

from __future__ import annotations

import re
from importlib import resources

import yaml

from monitor.web.i18n import catalogue

TEMPLATES = ("stories.html", "story.html", "oncall.html", "sources.html", "silences.html",
             "reports.html", "users.html", "user_token.html")
MODULES = ("stories", "oncall", "sources", "silences", "reports", "users")
PREFIXES = ("stories_", "oncall_", "sources_", "silences_", "reports_", "users_")


def test_every_key_used_has_both_languages() -> None:
    web = resources.files("monitor.web")
    used: set[str] = set()
    for name in TEMPLATES:
        text = (web / "templates" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\('([a-z_]+)'", text))
        # keys built from a value: reports_kind_<kind>, role_<role>
        used |= {f"reports_kind_{k}" for k in ("day", "week", "month", "quarter", "year",
                                               "range")} if "reports_kind_' ~" in text else set()
    for name in MODULES:
        text = (web / "pages" / f"{name}.py").read_text(encoding="utf-8")
        used |= {k for k in re.findall(r'"([a-z]+_[a-z_]+)"', text) if k.startswith(PREFIXES)}
    used -= {"reports_kind_", "role_"}
    known = catalogue()
    missing = sorted(k for k in used if not (known.get(k, {}).get("en")
                                             and known.get(k, {}).get("zh")))
    assert not missing
    assert len(used) > 150


def test_pages_yaml_keys_are_prefixed_by_area() -> None:
    text = (resources.files("monitor.web") / "locale" / "pages.yaml").read_text(encoding="utf-8")
    keys = list(yaml.safe_load(text))
    assert keys and all(k.startswith(PREFIXES) for k in keys)
