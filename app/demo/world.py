"""What the generator needs from the database before it starts: reference data, clocks, people, ids.

Read once: the seeded categories, districts, agencies and routing rules (no invented agency),
the current SLA policy and ladder versions, the calendar as it stands (overrides included), the
day counters of case numbers, and the highest ids. Demo users (agents, supervisors, one
responder per agency) are created once, without passwords: they cannot log in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import phones
from app.cases.deadlines import SlaContext, load_context
from app.db import write_transaction
from app.demo.parts import AgencyRef, Person, RoundRules
from app.models import Agency, Article, Call, CaseEvent, CaseNumberCounter, SlaPause, SmsOptOut, User
from app.models import Case as CaseRow
from app.reference.cache import reference_cache
from app.reference.ladders import current_ladder
from app.vocabulary import ArticleState, CaseType, Role
from dispatch.routing import route

AGENTS = 48
SUPERVISORS = 4


@dataclass
class World:
    tz: ZoneInfo
    context: SlaContext
    categories: dict[str, tuple[int, str, CaseType, bool, str | None]]  # code -> id, name_zh, type, urgent, default
    districts: dict[str, tuple[int, str]]  # code -> id, name_zh
    agencies: dict[str, AgencyRef]
    rules: dict[tuple[str, str], str]
    agents: list[Person]
    supervisors: list[Person]
    responders: dict[str, Person]  # agency code -> its demo responder
    articles: list[int]
    counters: dict[date, int]
    next_ids: dict[str, int]
    _rules_cache: dict[tuple[str, str], RoundRules]
    _session: Session | None

    def route(self, category: str, district: str | None) -> tuple[AgencyRef | None, str]:
        default = self.categories[category][4]
        decision = route(category_code=category, district_code=district, rules=self.rules, default_agency_code=default)
        agency = self.agencies.get(decision.agency_code or "")
        return agency, decision.reason.value

    def rules_for(self, category: str, case_type: CaseType, urgent: bool, agency: AgencyRef) -> RoundRules:
        """The current policy version (and ladder, for an urgent case) for this category and agency."""
        key = (category, agency.code)
        rules = self._rules_cache.get(key)
        if rules is None:
            assert self._session is not None, "settled: every rule was looked up before"
            snapshot = reference_cache.snapshot(self._session)
            policy = snapshot.policy_book.for_case(category=category, agency=agency.code, case_type=case_type.value)
            ladder = current_ladder(self._session, category=category, agency=agency.code) if urgent else None
            rules = RoundRules(
                policy=policy,
                version=snapshot.current_version[policy.key] if policy else None,
                clock=self.context.clock(policy.clock) if policy else None,
                ladder=ladder.policy if ladder else None,
                ladder_version=ladder.version if ladder else None,
            )
            self._rules_cache[key] = rules
        return rules

    def settle(self) -> None:
        """Look up every category's rules with every agency now, so generating needs no database
        (it may run in a forked process, which must not touch the parent's connections)."""
        for code, (_id, _name, case_type, urgent, _default) in self.categories.items():
            for agency in self.agencies.values():
                self.rules_for(code, case_type, urgent, agency)
        self._session = None


def _agency_ref(session: Session, agency: Agency) -> AgencyRef:
    stopped = set(session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(agency.duty_phones))))
    skipped = tuple(
        (phone, "replied STOP: no SMS" if phone in stopped else "landline: no SMS")
        for phone in agency.duty_phones
        if phone in stopped or not phones.is_mobile(phone)
    )
    return AgencyRef(agency.id, agency.code, tuple(agency.duty_phones), tuple(agency.supervisor_phones), skipped)


def _person(user: User) -> Person:
    return Person(user.id, user.username, user.role.value)


def ensure_demo_users(session: Session, agencies: dict[str, Agency]) -> None:
    """Agents, supervisors and a responder per agency, named demo-…; created once."""
    wanted: list[tuple[str, str, Role, int | None]] = [
        (f"demo-agent-{n:02d}", f"話務員{n:02d}", Role.AGENT, None) for n in range(1, AGENTS + 1)
    ]
    wanted += [(f"demo-supervisor-{n}", f"督導{n}", Role.SUPERVISOR, None) for n in range(1, SUPERVISORS + 1)]
    wanted += [(f"demo-{code.lower()}", f"{a.name_zh}承辦", Role.AGENCY, a.id) for code, a in agencies.items()]
    with write_transaction(session):
        existing = set(session.scalars(select(User.username).where(User.username.like("demo-%"))))
        for username, name, role, agency_id in wanted:
            if username not in existing:
                session.add(User(username=username, display_name=name, role=role, agency_id=agency_id))


def load_world(session: Session, *, tz: ZoneInfo, first: date, last: date) -> World:
    snapshot = reference_cache.snapshot(session)
    agencies = dict(sorted(snapshot.agencies.items()))
    ensure_demo_users(session, agencies)
    users = session.scalars(select(User).where(User.username.like("demo-%"), User.active.is_(True))).all()
    by_name = {user.username: user for user in users}
    refs = {code: _agency_ref(session, agency) for code, agency in agencies.items()}
    agency_codes = {agency.id: agency.code for agency in agencies.values()}
    categories = {
        code: (row.id, row.name_zh, row.case_type, row.urgent, agency_codes.get(row.default_agency_id or -1))
        for code, row in sorted(snapshot.categories.items())
    }
    districts = {code: (row.id, row.name_zh) for code, row in sorted(snapshot.districts.items())}
    category_codes = {row[0]: code for code, row in categories.items()}
    district_codes = {row[0]: code for code, row in districts.items()}
    rules = {
        (category_codes[c], district_codes[d]): agency.code
        for (c, d), agency in snapshot.rules.items()
        if c in category_codes and d in district_codes
    }
    counters: dict[date, int] = {
        day: seq
        for day, seq in session.execute(
            select(CaseNumberCounter.day, CaseNumberCounter.last_seq).where(CaseNumberCounter.day.between(first, last))
        )
    }
    next_ids = {
        name: (session.scalar(select(func.max(column))) or 0) + 1
        for name, column in (
            ("cases", CaseRow.id),
            ("case_events", CaseEvent.id),
            ("calls", Call.id),
            ("sla_pauses", SlaPause.id),
        )
    }
    articles = list(
        session.scalars(select(Article.id).where(Article.state == ArticleState.PUBLISHED).order_by(Article.id))
    )
    world = World(
        tz=tz,
        context=load_context(session, tz=tz),
        categories=categories,
        districts=districts,
        agencies=refs,
        rules=rules,
        agents=[_person(by_name[f"demo-agent-{n:02d}"]) for n in range(1, AGENTS + 1)],
        supervisors=[_person(by_name[f"demo-supervisor-{n}"]) for n in range(1, SUPERVISORS + 1)],
        responders={code: _person(by_name[f"demo-{code.lower()}"]) for code in agencies},
        articles=articles,
        counters=counters,
        next_ids=next_ids,
        _rules_cache={},
        _session=session,
    )
    session.commit()
    return world
