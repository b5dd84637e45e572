"""Offset pagination shared by pages and the API: ``?limit=&offset=``, links keep the filters."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Query, Request

MAX_LIMIT = 200


@dataclass(frozen=True)
class Window:
    """The slice a request asks for (``limit`` capped at MAX_LIMIT)."""

    limit: int
    offset: int


def window(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Items per page."),
    offset: int = Query(0, ge=0, description="Items to skip."),
) -> Window:
    """A FastAPI dependency reading ``limit`` and ``offset``."""
    return Window(limit=limit, offset=offset)


@dataclass(frozen=True)
class Page:
    """Where a page of ``count`` items sits among ``total``."""

    offset: int
    limit: int
    count: int
    total: int
    capped: bool = False  # counting stopped at ``total``: more may match

    @classmethod
    def of(cls, window: Window, *, count: int, total: int, capped: bool = False) -> Page:
        return cls(offset=window.offset, limit=window.limit, count=count, total=total,
                   capped=capped)

    @property
    def shown_total(self) -> str:
        """``1234``, or ``5000+`` when counting stopped there."""
        return f"{self.total}+" if self.capped else str(self.total)

    @property
    def previous(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.offset + self.count < self.total else None

    def link(self, request: Request, offset: int) -> str:
        """This request's URL (its filters kept) at ``offset``."""
        return str(request.url.include_query_params(offset=offset, limit=self.limit))
