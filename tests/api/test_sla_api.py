"""What people see of the SLA engine over the API: deadlines on cases, the at-risk and breached lists, the calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.cases.sweep import sweep
from app.db import db, utcnow
from sla.calendar import GovernmentCalendar
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")


def test_a_case_shows_its_deadlines_time_left_stage_and_policy(factory: Factory) -> None:
    body = factory.api_case()
    sla = body["sla"]
    assert sla["policy"] == "fallen_tree" and sla["policy_version"] == 1 and sla["clock"] == "wall"
    assert sla["stage"] == "on_track" and sla["round"] == 1
    received = datetime.fromisoformat(body["received_at"])
    assert datetime.fromisoformat(sla["ack_due_at"]) == received + timedelta(minutes=15)
    assert datetime.fromisoformat(sla["report_due_at"]) == received + timedelta(hours=4)
    assert sla["due_at"] == sla["ack_due_at"] and sla["report_due_at"].endswith("+08:00")
    assert 14 * 60 <= sla["time_left_seconds"] <= 15 * 60
    # A consultation answered on the line has no deadline at all.
    answered = factory.api_case(category="general_inquiry", district=None, answer="已說明", description="問")
    assert answered["sla"] is None


def test_waiting_for_the_citizen_needs_a_reason_and_freezes_the_time_left(factory: Factory) -> None:
    case = factory.api_case(category="noise", description="噪音")
    responder = factory.user("agency", agency=case["agency"])
    not_yet = responder.act(case["case_no"], "wait", case["version"], reason="請民眾補充照片")
    assert not_yet.status_code == 409  # acknowledge first: waiting does not stop that clock
    case = responder.act(case["case_no"], "acknowledge", case["version"]).get_json()
    refused = responder.act(case["case_no"], "wait", case["version"], reason="  ")
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["fields"]
    waiting = responder.act(case["case_no"], "wait", case["version"], reason="請民眾補充照片")
    assert waiting.status_code == 200, waiting.get_json()
    body = waiting.get_json()
    assert body["status"] == "waiting_citizen" and body["sla"]["stage"] == "paused"
    assert body["sla"]["paused_since"] is not None
    assert body["sla"]["time_left_seconds"] == case["sla"]["time_left_seconds"] or (
        abs(body["sla"]["time_left_seconds"] - case["sla"]["time_left_seconds"]) <= 5
    )
    resumed = responder.act(case["case_no"], "resume", body["version"])
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "acknowledged"
    assert resumed.get_json()["sla"]["stage"] == "on_track"


def test_the_at_risk_and_breached_lists_are_sorted_by_time_to_breach(factory: Factory) -> None:
    now = utcnow()
    late = factory.case(now=now - timedelta(minutes=40), description="倒樹 A")  # ack breached 25 min ago
    later = factory.case(now=now - timedelta(minutes=20), description="倒樹 B")  # ack breached 5 min ago
    risky = factory.case(now=now - timedelta(minutes=12), description="倒樹 C")  # ack warning fired
    fine = factory.case(now=now, description="倒樹 D")
    sweep(db.session, now=now)
    supervisor = factory.user("supervisor")
    breached = supervisor.get("/cases?sla=breached").get_json()["items"]
    assert [item["case_no"] for item in breached] == [late.case_no, later.case_no]
    assert all(item["sla"]["time_left_seconds"] < 0 for item in breached)
    at_risk = supervisor.get("/cases?sla=at_risk").get_json()["items"]
    assert [item["case_no"] for item in at_risk] == [risky.case_no]
    assert fine.case_no not in {item["case_no"] for item in breached + at_risk}
    # Paging keeps the order.
    first = supervisor.get("/cases?sla=breached&limit=1").get_json()
    second = supervisor.get(f"/cases?sla=breached&limit=1&cursor={first['next_cursor']}").get_json()
    assert [first["items"][0]["case_no"], second["items"][0]["case_no"]] == [late.case_no, later.case_no]
    assert supervisor.get("/cases?sla=soon").status_code == 422


def test_an_agency_sees_only_its_own_breaches(factory: Factory) -> None:
    now = utcnow()
    ours = factory.case(now=now - timedelta(minutes=40))
    factory.case(now=now - timedelta(minutes=40), category_code="road_flooding", description="積水")
    sweep(db.session, now=now)
    responder = factory.user("agency", agency=ours.agency.code)
    items = responder.get("/cases?sla=breached").get_json()["items"]
    assert [item["case_no"] for item in items] == [ours.case_no]


def test_the_calendar_lists_holidays_makeup_days_and_overrides(factory: Factory) -> None:
    agent = factory.agent
    body = agent.get("/calendar/2025").get_json()
    by_date = {day["date"]: day for day in body["days"]}
    assert len(body["days"]) == 365 and body["working_days"] == 247
    assert by_date["2025-02-08"]["kind"] == "makeup_workday" and by_date["2025-02-08"]["working"]
    assert by_date["2025-01-28"]["kind"] == "holiday" and by_date["2025-01-28"]["name"]
    assert agent.get("/calendar/3000").status_code == 404


def test_an_administrator_closes_a_day_and_open_cases_move(factory: Factory) -> None:
    petition = factory.api_case(category="noise", description="噪音")
    today = utcnow().astimezone(TZ).date()
    next_working = GovernmentCalendar().next_working_day(today)
    admin = factory.user("admin")
    response = admin.client.put(
        f"/api/v1/calendar/overrides/{next_working}",
        json={"working": False, "reason": "颱風停班"},
        headers=admin.headers(),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["recomputed_cases"] == 1
    moved = admin.get(f"/cases/{petition['case_no']}").get_json()["sla"]
    assert moved["report_due_at"] > petition["sla"]["report_due_at"]
    year = admin.get(f"/calendar/{next_working.year}").get_json()
    assert {"date": str(next_working), "working": False, "reason": "颱風停班"}.items() <= year["overrides"][0].items()
    events = admin.get(f"/cases/{petition['case_no']}/events").get_json()
    assert events[-1]["event_type"] == "sla_recomputed" and events[-1]["payload"]["reason"] == "颱風停班"


def test_calendar_changes_are_refused_for_non_admins_and_past_days(factory: Factory) -> None:
    supervisor, admin = factory.user("supervisor"), factory.user("admin")
    tomorrow = utcnow().astimezone(TZ).date() + timedelta(days=1)
    forbidden = supervisor.client.put(
        f"/api/v1/calendar/overrides/{tomorrow}", json={"working": False, "reason": "x"}, headers=supervisor.headers()
    )
    assert forbidden.status_code == 403
    past = admin.client.put(
        "/api/v1/calendar/overrides/2020-01-02",
        json={"working": False, "reason": "x"},
        headers=admin.headers("en"),
    )
    assert past.status_code == 422 and "already passed" in past.get_json()["error"]["message"]
    bad_date = admin.client.put(
        "/api/v1/calendar/overrides/2020-13-45", json={"working": False, "reason": "x"}, headers=admin.headers()
    )
    assert bad_date.status_code == 422
    missing = admin.client.delete(f"/api/v1/calendar/overrides/{tomorrow}", headers=admin.headers())
    assert missing.status_code == 404


def test_forged_cursors_and_dates_get_a_clear_422(factory: Factory) -> None:
    import base64

    supervisor, admin = factory.user("supervisor"), factory.user("admin")

    def forged(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    for cursor in (forged("s0_99999999999999999999"), forged("s99999999999999999_1"), forged("c99999999999999999999")):
        assert supervisor.get(f"/cases?sla=breached&cursor={cursor}").status_code == 422
    assert supervisor.get(f"/cases?cursor={forged('c99999999999999999999')}").status_code == 422
    for day in ("20261201", "2026-W01-1", "9999-12-31"):
        response = admin.client.put(
            f"/api/v1/calendar/overrides/{day}", json={"working": False, "reason": "x"}, headers=admin.headers()
        )
        assert response.status_code == 422, day
    # A non-administrator is told so first, whatever the body says.
    refused = supervisor.client.put(
        "/api/v1/calendar/overrides/2099-01-05", json={"nonsense": 1}, headers=supervisor.headers()
    )
    assert refused.status_code == 403
