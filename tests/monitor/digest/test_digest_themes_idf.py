"""Chinese themes read jieba's IDF table directly: the same table jieba.analyse reads."""

from __future__ import annotations

import subprocess
import sys

from monitor.digest.themes import _JIEBA_STOP, _idf


def test_idf_table_and_stop_words_are_jieba_analyses() -> None:
    import jieba.analyse

    tfidf = jieba.analyse.default_tfidf
    idf = _idf()
    assert idf.weights == tfidf.idf_freq and idf.median == tfidf.median_idf
    assert tfidf.stop_words == _JIEBA_STOP and len(idf.weights) > 100_000


def test_themes_do_not_load_the_part_of_speech_tagger() -> None:
    code = (
        "import sys\n"
        "from classifiers.text import init_jieba\n"
        "from monitor.digest.themes import chinese_themes\n"
        "init_jieba([])\n"
        "assert chinese_themes(['奶粉质量有问题，要求退款'], stop=frozenset(), top=5)\n"
        "print('jieba.posseg' in sys.modules, 'jieba.analyse' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
