"""The digest names the organisation and entities in its locale (their display names)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from config.schema import Settings
from monitor.digest.run import digest_inputs


def _inputs(locale: str) -> Any:
    settings = Settings.model_validate(
        {
            "organisation": {
                "name": "Lumina Dairy",
                "locale": locale,
                "display_names": {"zh": "澜沐乳业"},
            },
            "entities": [
                {
                    "id": "lumina-kids",
                    "name": "Lumina Kids formula",
                    "kind": "product",
                    "display_names": {"zh": "澜沐儿童奶粉"},
                    "aliases": ["小澜沐"],
                },
                {"id": "sunvale", "name": "Sunvale Dairy", "kind": "competitor"},
            ],
        }
    )
    app = SimpleNamespace(settings=settings, config=SimpleNamespace(base_dir=Path(".")))
    return digest_inputs(app)  # type: ignore[arg-type]


def test_a_chinese_digest_uses_the_chinese_display_names() -> None:
    zh = _inputs("zh")
    assert zh.organisation == "澜沐乳业"
    assert zh.entity_names() == {"lumina-kids": "澜沐儿童奶粉", "sunvale": "Sunvale Dairy"}
    # every other name still counts as the entity's own (themes leave them out)
    assert zh.entities[0].aliases == ("Lumina Kids formula", "澜沐儿童奶粉", "小澜沐")
    en = _inputs("en")
    assert en.organisation == "Lumina Dairy"
    assert en.entity_names()["lumina-kids"] == "Lumina Kids formula"
