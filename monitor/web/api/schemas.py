"""Shapes shared by every /api/v1 resource: the page envelope and the error body."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel, Field

from monitor.web.paging import Window

Item = TypeVar("Item")


class ErrorOut(BaseModel):
    """Every 4xx answer: one line saying what is wrong."""

    detail: str = Field(description="What is wrong, in one line.")


class Paged(BaseModel, Generic[Item]):
    """One page of a list, newest or most urgent first."""

    items: list[Item]
    total: int = Field(description="How many match in all (at least, when `capped`).")
    capped: bool = Field(False, description="Counting stopped at `total`: more may match.")
    limit: int
    offset: int
    next: str | None = Field(None, description="The URL of the next page, if any.")

    @classmethod
    def of(cls, request: Request, *, items: list[Item], total: int, span: Window,
           capped: bool = False) -> Paged[Item]:
        more = span.offset + len(items) < total
        following = (str(request.url.include_query_params(offset=span.offset + span.limit,
                                                          limit=span.limit)) if more else None)
        return cls(items=items, total=total, capped=capped, limit=span.limit,
                   offset=span.offset, next=following)


# the error answers every route may give, for the OpenAPI description
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "No valid login or token."},
    403: {"model": ErrorOut, "description": "The role or token scope does not allow it."},
    422: {"model": ErrorOut, "description": "A parameter or body field is invalid."},
}
