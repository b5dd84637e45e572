"""Graded playbooks: definitions, the escalation engine, silences and approved response scripts.

A library: plain values in, plain values out; nothing happens at import time.
"""

from playbooks.check import check_playbooks
from playbooks.defaults import (
    DEFAULT_CHANNEL_NAMES,
    DEFAULT_PLACEHOLDERS,
    default_playbook_paths,
    default_scripts_path,
    defaults_dir,
)
from playbooks.durations import format_duration, parse_duration
from playbooks.errors import EscalationError, PlaybookError, ScriptError, SilenceError
from playbooks.escalation import (
    Action,
    EscalationState,
    Notify,
    acknowledge,
    due_actions,
    regrade,
    start_escalation,
)
from playbooks.loader import load_playbooks
from playbooks.model import (
    ALL_GRADES,
    PLAYBOOK_GRADES,
    TARGET_KINDS,
    ChecklistItem,
    NotifyStep,
    Playbook,
    Sla,
    Step,
    Target,
    WaitAckStep,
    grade_rank,
)
from playbooks.script_files import approve_script_in_file, load_scripts, review_script_in_file
from playbooks.scripts import (
    DEFAULT_REVIEW_STEPS,
    FINAL_STEP,
    GENERAL_SCENARIO,
    ApprovalStatus,
    ResponseScript,
    Review,
    approval_status,
    approve,
    fill_script,
    offerable_scripts,
    review,
    text_sha256,
    unfilled_placeholders,
)
from playbooks.selection import select_playbook
from playbooks.silences import Silence, is_silenced

__all__ = [
    "ALL_GRADES",
    "DEFAULT_CHANNEL_NAMES",
    "DEFAULT_PLACEHOLDERS",
    "DEFAULT_REVIEW_STEPS",
    "FINAL_STEP",
    "GENERAL_SCENARIO",
    "PLAYBOOK_GRADES",
    "TARGET_KINDS",
    "Action",
    "ApprovalStatus",
    "ChecklistItem",
    "EscalationError",
    "EscalationState",
    "Notify",
    "NotifyStep",
    "Playbook",
    "PlaybookError",
    "ResponseScript",
    "Review",
    "ScriptError",
    "Silence",
    "SilenceError",
    "Sla",
    "Step",
    "Target",
    "WaitAckStep",
    "acknowledge",
    "approval_status",
    "approve",
    "approve_script_in_file",
    "check_playbooks",
    "default_playbook_paths",
    "default_scripts_path",
    "defaults_dir",
    "due_actions",
    "fill_script",
    "format_duration",
    "grade_rank",
    "is_silenced",
    "load_playbooks",
    "load_scripts",
    "offerable_scripts",
    "parse_duration",
    "regrade",
    "review",
    "review_script_in_file",
    "select_playbook",
    "start_escalation",
    "text_sha256",
    "unfilled_placeholders",
]
