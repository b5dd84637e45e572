"""The first model load of a process takes what it holds out of the garbage collector's sight."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# in a fresh interpreter: freezing is process-wide and once per process
_PROBE = textwrap.dedent("""
    import gc
    from monitor.pipeline.scoring import LazyScorer

    models = [[i] for i in range(1000)]  # stands for the models' objects
    scorer = LazyScorer(load=lambda: models)  # type: ignore[arg-type,return-value]
    print(gc.get_freeze_count())
    assert scorer.get() is models and scorer.get() is models
    first = gc.get_freeze_count()
    print(first)
    assert LazyScorer(load=lambda: models).get() is models  # type: ignore[arg-type,return-value]
    print(gc.get_freeze_count())
""")


def test_the_first_model_load_freezes_the_heap_once() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True).stdout.split()
    before, first, second = (int(n) for n in out)
    assert before == 0
    assert first >= 1000  # the models' objects among what was frozen
    assert second == first  # a second scorer of the process freezes nothing more
