"""Concepts two libraries both need: the libraries may not import each other, so each keeps a
copy and this test holds them equal (monitor itself imports the one from the library)."""

from __future__ import annotations

from classifiers.matrix import GRADES
from playbooks import ALL_GRADES


def test_the_risk_matrix_and_the_playbooks_use_the_same_grades_in_the_same_order() -> None:
    assert GRADES == ALL_GRADES
