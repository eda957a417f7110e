"""Building real users and cases through the real service functions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.access import Actor
from app.cases.intake import NewCase, open_case
from app.db import db
from app.models import Case, CaseEvent
from app.realtime.alerts import Alert, alerts_for
from app.realtime.messages import alert_facts
from app.reference.names import ReferenceNames
from app.users.service import create_user
from app.vocabulary import CaseType, Channel, Role

_usernames = itertools.count(1)


@dataclass(frozen=True)
class ApiUser:
    actor: Actor
    token: str
    client: FlaskClient

    def headers(self, language: str = "zh-TW") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept-Language": language}

    def get(self, path: str, language: str = "zh-TW", **kwargs: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", headers=self.headers(language), **kwargs)

    def post(self, path: str, json: Any = None, language: str = "zh-TW", **kwargs: Any) -> TestResponse:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers(language), **kwargs)

    def act(self, case_no: str, action: str, version: int, **body: Any) -> TestResponse:
        return self.post(f"/cases/{case_no}/{action}", json={"version": version, **body})


DISPATCH = {
    "channel": "phone",
    "category": "fallen_tree",
    "district": "fongshan",
    "address": "鳳山區光復路二段132號",
    "description": "路樹倒塌擋住車道",
}


@dataclass
class Factory:
    app: Flask
    client: FlaskClient
    tz: ZoneInfo
    _users: dict[str, ApiUser] = field(default_factory=dict)

    def user(self, role: str = "agent", agency: str | None = None) -> ApiUser:
        username = f"{role}{next(_usernames)}"
        issued = create_user(session=db.session, username=username, role=Role(role), agency_code=agency)
        actor = Actor(user_id=issued.user.id, username=username, role=Role(role), agency_id=issued.user.agency_id)
        return ApiUser(actor=actor, token=issued.token, client=self.client)

    @property
    def agent(self) -> ApiUser:
        return self.named_user("agent", "agent")

    def named_user(self, name: str, role: str = "agent", agency: str | None = None) -> ApiUser:
        """The same user each time this test asks for it by `name` (made on first use)."""
        if name not in self._users:
            self._users[name] = self.user(role, agency)
        return self._users[name]

    def case(self, actor: Actor | None = None, now: datetime | None = None, **overrides: Any) -> Case:
        """A case opened through the intake service: by default a fallen tree in Fongshan."""
        fields: dict[str, Any] = {
            "channel": Channel.PHONE,
            "category_code": "fallen_tree",
            "district_code": "fongshan",
            "address": "鳳山區光復路二段132號",
            "description": "路樹倒塌擋住車道",
        }
        fields.update(overrides)
        if isinstance(fields.get("case_type"), str):
            fields["case_type"] = CaseType(fields["case_type"])
        return open_case(
            session=db.session, actor=actor or self.agent.actor, new_case=NewCase(**fields), tz=self.tz, now=now
        )

    def api_case(self, user: ApiUser | None = None, **overrides: Any) -> dict[str, Any]:
        """A case opened over HTTP, returned as the API shows it."""
        response = (user or self.agent).post("/cases", json={**DISPATCH, **overrides})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body


@dataclass(frozen=True)
class CaseState:
    """What a refused request must leave exactly as it was."""

    status: str
    version: int
    events: tuple[tuple[int, str], ...]  # (id, type) of the whole trail


def case_state(case_no: str) -> CaseState:
    """The case as the database holds it now (committed), with its audit trail."""
    db.session.rollback()  # a fresh read, not this session's earlier snapshot
    case = db.session.scalar(select(Case).where(Case.case_no == case_no))
    assert case is not None
    events = db.session.execute(
        select(CaseEvent.id, CaseEvent.event_type).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return CaseState(status=case.status.value, version=case.version, events=tuple((i, str(t)) for i, t in events))


def alerts_raised(case_id: int, tz: ZoneInfo) -> list[Alert]:
    """The alerts the live feed raises for a case's events, each as if pushed the moment it was recorded."""
    case = db.session.get(Case, case_id)
    assert case is not None
    db.session.refresh(case)  # as the feed reads it: committed, now
    names = ReferenceNames.load(db.session)
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    raised = []
    for event in events:
        facts, subject = alert_facts(event, case, names)
        raised += alerts_for(facts, subject, tz=tz, now=event.recorded_at)
    return raised
