"""One page of a long list: the rows to show and what the pager needs (`_macros.pager`)."""

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa

from extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(query: sa.Select, page: int, per_page: int, scalars: bool = False) -> Page:
    """Run `query` for one page (a page past the end shows the last one). `scalars`: the rows
    are ORM objects rather than tuples."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    page = max(1, min(page, max(1, ceil(total / per_page))))
    limited = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.scalars(limited) if scalars else db.session.execute(limited)
    return Page(list(result.unique() if scalars else result), page, per_page, total or 0)
