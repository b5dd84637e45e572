"""Review action items pushed to Jira as issues (``POST /rest/api/2/issue``, or ``/3/`` with
the description in Atlassian Document Format).

An item is created in Jira once: the new issue's key is stored on the item (``record_key``),
and an item that has one is never sent again. Each refusal or transport failure is one line
naming the action item and what Jira said; the token never appears in it. The HTTP client is
passed in (the CLI makes it from the ``http`` settings; tests point it at a local server).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from alerts.times import format_time
from config.schema import JiraSettings
from monitor.db.models import ActionItem
from monitor.incidents.reviews import ActionView, ReviewError

MAX_SUMMARY = 250  # Jira's limit is 255 characters
_MAX_BODY = 1_000_000


class JiraError(Exception):
    """One action item could not be created in Jira (one line for the user)."""


def jira_headers(settings: JiraSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """Authorization and content headers; JiraError when a named variable is not set."""
    token = environ.get(settings.token_env, "").strip()
    if not token:
        raise JiraError(
            f"integrations.jira.token_env: environment variable {settings.token_env} is not set"
        )
    if settings.user_env:
        user = environ.get(settings.user_env, "").strip()
        if not user:
            raise JiraError(
                f"integrations.jira.user_env: environment variable {settings.user_env} is not set"
            )
        basic = base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
        auth = f"Basic {basic}"
    else:
        auth = f"Bearer {token}"
    return {"Authorization": auth, "Accept": "application/json", "Content-Type": "application/json"}


def issue_fields(item: ActionView, *, settings: JiraSettings, zone: str) -> dict[str, Any]:
    """The ``fields`` of the issue made from ``item``."""
    description = "\n".join(
        [
            item.text,
            "",
            f"Owner: {item.owner}",
            f"Due: {format_time(item.due_at, zone)}",
            f"From the post-incident review of incident #{item.incident_id}: "
            f"{one_line(item.incident_title, 200)}",
            f"crisiswatch action item #{item.id}",
        ]
    )
    fields: dict[str, Any] = {
        "project": {"key": settings.project},
        "issuetype": {"name": settings.issue_type},
        "summary": one_line(item.text, MAX_SUMMARY),
        "description": description if settings.api_version == 2 else adf(description),
        "labels": ["crisiswatch", f"incident-{item.incident_id}"],
    }
    if settings.due_date:
        fields["duedate"] = item.due_at.astimezone(ZoneInfo(zone)).date().isoformat()
    return fields


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: a paragraph per non-empty line."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]}
            for line in text.splitlines()
            if line.strip()  # ADF forbids empty text nodes
        ],
    }


def _refusal(response: httpx.Response) -> str:
    """What Jira said, from its ``errorMessages`` and ``errors`` (or the status alone)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    said: list[str] = []
    if isinstance(body, dict):
        said += [str(m) for m in body.get("errorMessages") or [] if m]
        errors = body.get("errors")
        if isinstance(errors, dict):
            said += [f"{k}: {v}" for k, v in errors.items()]
    if response.status_code in (401, 403) and not said:
        said.append("check the user and token the configuration names")
    text = "; ".join(said) or (response.reason_phrase or "no reason given")
    return one_line(text, 300)


def create_issue(
    client: httpx.Client,
    item: ActionView,
    *,
    settings: JiraSettings,
    headers: Mapping[str, str],
    zone: str,
) -> str:
    """Create the issue for ``item`` and return its key; JiraError naming the item if not."""
    url = f"{settings.url.rstrip('/')}/rest/api/{settings.api_version}/issue"
    name = f"action #{item.id} ({one_line(item.text, 60)})"
    try:
        response = client.post(
            url,
            json={"fields": issue_fields(item, settings=settings, zone=zone)},
            headers=dict(headers),
        )
    except httpx.HTTPError as exc:
        raise JiraError(
            f"{name}: cannot reach Jira at {settings.url}: "
            f"{one_line(str(exc) or type(exc).__name__, 200)}"
        ) from None
    if response.status_code not in (200, 201):
        raise JiraError(
            f"{name}: Jira refused it (HTTP {response.status_code}): {_refusal(response)}"
        )
    try:
        key = response.json().get("key") if len(response.content) < _MAX_BODY else None
    except (ValueError, AttributeError):
        key = None
    if not isinstance(key, str) or not key.strip():
        raise JiraError(f"{name}: Jira answered HTTP {response.status_code} without an issue key")
    return one_line(key, 64)


def record_key(session: Session, *, action_id: int, key: str) -> None:
    """Store the issue key on the item, so it is never pushed again."""
    item = session.get(ActionItem, action_id)
    if item is None:
        raise ReviewError(f"no action item #{action_id}")
    item.jira_key = key
