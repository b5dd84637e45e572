"""Every key the templates and pages use has both languages, and no key is defined twice."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.web.i18n import LANGS, catalogue, translate

WEB = Path(__file__).resolve().parents[3] / "monitor" / "web"
# t('key'), t("key", ...), translate("key", ...)
_USE = re.compile(r"""\b(?:t|translate)\(\s*['"]([a-z0-9_]+)['"]""")


def _used_keys() -> dict[str, str]:
    used: dict[str, str] = {}
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        for key in _USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, str(path.relative_to(WEB)))
    return used


def test_every_used_key_has_english_and_chinese() -> None:
    texts = catalogue()
    # a key ending in "_" is a prefix completed at run time (t('role_' ~ user.role))
    missing = {key: where for key, where in _used_keys().items() if not key.endswith("_")
               and (key not in texts or any(not texts[key].get(lang) for lang in LANGS))}
    assert not missing, f"keys without both languages: {missing}"


def test_every_role_has_a_name() -> None:
    from monitor.users.roles import ROLES

    assert all(catalogue()[f"role_{role}"].keys() >= set(LANGS) for role in ROLES)


def test_the_scan_sees_the_frame() -> None:
    # the regular expression above finds the keys of base.html (so the first test can fail)
    assert {"nav_incidents", "log_out", "signed_in_as"} <= set(_used_keys())


def test_translate_fills_values_and_falls_back_to_the_key() -> None:
    assert translate("page_of", "en", first=1, last=50, total=120) == "1–50 of 120"
    assert translate("page_of", "zh", first=1, last=50, total=120) == "第 1–50 条，共 120 条"
    assert translate("no_such_key", "zh") == "no_such_key"
