"""The wall's work queues in words: triage with the agencies to assign to, requests with what they ask."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.cases.wall import WALL_LIMIT
from app.cases.wall_queues import pending_requests, triage
from app.present.times import roc_datetime
from app.reference.cache import reference_cache
from app.vocabulary import RequestKind
from app.web.labels import L_, label


def queue_context(
    session: Session, names: dict[int, str], english: bool, tz: ZoneInfo, limit: int | None
) -> dict[str, Any]:
    snapshot = reference_cache.snapshot(session)
    waiting = triage(session=session, limit=limit or WALL_LIMIT)
    asked = pending_requests(session=session, limit=limit or WALL_LIMIT)
    districts = {row.id: (row.name_en if english else row.name_zh) for row in snapshot.districts.values()}

    def what(kind: str, to_agency_id: int | None, due: Any) -> str:
        if kind == RequestKind.JURISDICTION.value:
            return label(L_("wall.request.jurisdiction"), agency=names.get(to_agency_id or -1, ""))
        return label(L_("wall.request.extension"), due=roc_datetime(due, tz) if due else "")

    return {
        "agency_choices": sorted(
            ((row.code, row.name_en if english else row.name_zh) for row in snapshot.agencies.values()),
            key=lambda pair: pair[0],
        ),
        "triage": [
            {
                "case_no": case.case_no,
                "version": case.version,
                "urgent": case.category.urgent,
                "category": case.category.name_en if english else case.category.name_zh,
                "place": _place(districts.get(case.district_id or -1, ""), case.address or ""),
                "received": roc_datetime(case.received_at, tz),
            }
            for case in waiting.rows
        ],
        "triage_total": waiting.total,
        "pending_requests": [
            {
                "id": row.request.id,
                "case_no": row.case.case_no,
                "kind": row.request.kind,
                "agency": names.get(row.request.agency_id, ""),
                # The agency asking is the case's own: the words say only what it asks.
                "what": what(row.request.kind, row.request.to_agency_id, row.request.report_due_at),
                "reason": row.request.reason,
            }
            for row in asked.rows
        ],
        "requests_total": asked.total,
    }


def _place(district: str, address: str) -> str:
    """The district and the address, without the district twice when the address starts with it."""
    if district and address.startswith(district):
        return address
    return " ".join(part for part in (district, address) if part)
