"""Chinese themes read jieba's IDF table directly: same terms and weights as jieba.analyse."""

from __future__ import annotations

import subprocess
import sys

from classifiers.text import init_jieba
from monitor.digest.themes import _extract_tags

BODY = (
    "澜沐奶粉质量有问题，孩子喝了腹泻，要求退款。客服态度很差，投诉三次都没有回复 the and "
    "产品召回的消息是真的吗？监管部门在调查 澜沐涨价太离谱了，门店服务也越来越差 "
    "听说检测报告造假，虚假宣传太可怕 检测 检测 退款"
) * 3


def test_extract_tags_matches_jieba_analyse() -> None:
    init_jieba([])
    import jieba.analyse

    expected = jieba.analyse.default_tfidf.extract_tags(BODY, topK=40, withWeight=True)
    assert _extract_tags(BODY, 40) == expected and len(expected) > 20


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
