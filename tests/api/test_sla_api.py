"""What people see of the SLA engine over the API: deadlines on cases, the at-risk and breached lists, the calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest.mock import ANY
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


def test_the_calendar_says_whether_a_year_is_official_and_refuses_years_it_cannot_know(factory: Factory) -> None:
    agent = factory.agent
    body = agent.get("/calendar/2027").get_json()
    assert body["state"] == "estimated" and body["source"].startswith("holidays ")
    assert agent.get("/calendar/1997", language="en").status_code == 404
    assert "1998" in agent.get("/calendar/1997", language="en").get_json()["error"]["message"]
    status = agent.get("/calendar/status").get_json()
    assert {2025, 2026, 2027} <= {year["year"] for year in status["years"]}
    assert all(year["state"] == "estimated" for year in status["years"])


def test_an_administrator_closes_an_afternoon_over_the_api(factory: Factory) -> None:
    petition = factory.api_case(category="noise", description="噪音")
    admin = factory.user("admin")
    next_working = GovernmentCalendar().next_working_day(utcnow().astimezone(TZ).date())
    url = f"/api/v1/calendar/overrides/{next_working}"
    for bad in ({"from": "13:30", "until": "13:30"}, {"from": "18:00", "until": "08:00"}, {"from": "25:00"}):
        refused = admin.client.put(url, json={"working": False, "reason": "颱風", **bad}, headers=admin.headers("en"))
        assert refused.status_code == 422, refused.get_json()
    assert admin.get(f"/calendar/{next_working.year}").get_json()["overrides"] == []
    assert admin.get(f"/cases/{petition['case_no']}").get_json()["sla"] == {
        **petition["sla"],
        "time_left_seconds": ANY,
    }
    response = admin.client.put(
        url, json={"working": False, "reason": "下午停班", "from": "13:30"}, headers=admin.headers()
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "date": str(next_working),
        "working": False,
        "reason": "下午停班",
        "from": "13:30",
        "until": None,
        "recomputed_cases": 1,
        "now_overdue_cases": 0,
    }
    day = next(
        d for d in admin.get(f"/calendar/{next_working.year}").get_json()["days"] if d["date"] == str(next_working)
    )
    assert day == {
        "date": str(next_working),
        "kind": "partly_closed",
        "working": True,
        "name": "下午停班",
        "from": "13:30",
        "until": None,
    }


def test_an_official_calendar_is_previewed_then_imported_over_the_api(factory: Factory) -> None:
    import base64
    from pathlib import Path

    content = base64.b64encode((Path(__file__).parents[1] / "fixtures" / "calendar_2026_official.csv").read_bytes())
    admin, supervisor = factory.user("admin"), factory.user("supervisor")
    body = {"content_base64": content.decode(), "source": "行政院人事行政總處"}
    assert supervisor.post("/calendar/official/2026", json=body).status_code == 403
    preview = admin.post("/calendar/official/2026", json={**body, "preview": True}).get_json()
    assert preview["applied"] is False and preview["differences"]
    assert admin.get("/calendar/2026").get_json()["state"] == "estimated"
    wrong_year = admin.post("/calendar/official/2027", json=body, language="en")
    assert wrong_year.status_code == 422 and wrong_year.get_json()["error"]["fields"]["line 2"] == [
        "This day is not in the year being imported."
    ]
    not_base64 = admin.post("/calendar/official/2026", json={**body, "content_base64": "%%%"})
    assert not_base64.status_code == 422
    done = admin.post("/calendar/official/2026", json=body)
    assert done.status_code == 200 and done.get_json()["applied"] is True
    year = admin.get("/calendar/2026").get_json()
    assert year["state"] == "official" and year["source"] == "行政院人事行政總處" and year["working_days"] == 245
