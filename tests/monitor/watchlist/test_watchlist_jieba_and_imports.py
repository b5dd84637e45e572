"""jieba user dictionary feeding, and what importing the package pulls in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jieba

from monitor.watchlist import EntitySpec, Watchlist
from monitor.watchlist.jieba_dict import NAME_FREQ, add_to_jieba, jieba_words

REPO = Path(__file__).resolve().parents[3]


def test_jieba_words_keeps_cjk_blocks_of_two_or_more_characters() -> None:
    words = jieba_words(["Acme", "艾克美", "简·多伊", "艾克美 手机", "acme集团", "门", "艾克美"])
    assert words == ["艾克美", "多伊", "手机", "acme集团"]


def test_add_to_jieba_keeps_names_whole(tmp_path: Path) -> None:
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path)  # its cache file goes here, not to the shared /tmp
    text = "我昨天买了艾克美的新手机，贝塔科技公司也发布了新品"
    before = list(tokenizer.cut(text))
    assert "艾克美" not in before and "贝塔科技" not in before
    global_before = dict(jieba.dt.FREQ)  # other tests may already have added names there

    watchlist = Watchlist.compile(
        [
            EntitySpec("acme", "Acme", "brand", aliases=("艾克美",)),
            EntitySpec("beta", "BetaCo", "competitor", query="貝塔科技 OR betaco"),
        ]
    )
    add_to_jieba(watchlist.terms(), tokenizer=tokenizer)

    after = list(tokenizer.cut(text))
    assert "艾克美" in after and "贝塔科技" in after
    assert tokenizer.FREQ["貝塔科技"] == NAME_FREQ  # the Traditional spelling too
    assert global_before == jieba.dt.FREQ  # the global tokenizer was left alone


def test_importing_the_package_loads_no_jieba_no_dictionary_no_config() -> None:
    code = (
        "import sys, monitor.watchlist, monitor.watchlist.matcher;"
        "bad = [m for m in ('jieba', 'zhconv', 'monitor.db', 'config', 'sqlalchemy')"
        " if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
