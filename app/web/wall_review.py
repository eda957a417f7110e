"""The wall's list of reports awaiting the centre's closure review (結案審核), the longest-waiting first."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.cases.review import awaiting_review
from app.present.times import roc_datetime
from app.web.casepage.words import coded, duration_text
from app.web.labels import L_

# Built in the template ("wall.col." ~ column): listed for extraction.
BUILT_KEYS = (
    L_("wall.list.awaiting_review"),
    L_("wall.col.outcome"),
    L_("wall.col.reported_at"),
    L_("wall.col.waiting"),
)


def review_list(
    session: Session,
    *,
    agency_names: dict[int, str],
    english: bool,
    tz: ZoneInfo,
    now: datetime,
    limit: int | None = None,
) -> dict[str, Any]:
    """The wall template's `awaiting_review` rows and their total (`limit` rows after its "and N more" link)."""
    listed = awaiting_review(session=session, limit=limit) if limit else awaiting_review(session=session)
    rows = [
        {
            "case_no": case.case_no,
            "agency": agency_names.get(case.agency_id or -1, ""),
            "category": case.category.name_en if english else case.category.name_zh,
            "outcome": coded("report_outcome", case.report_outcome),
            "reported_at": roc_datetime(case.reported_at, tz) if case.reported_at else "",
            "waiting": duration_text(int((now - case.reported_at).total_seconds())) if case.reported_at else "",
        }
        for case in listed.rows
    ]
    return {"awaiting_review": rows, "awaiting_review_total": listed.total}
