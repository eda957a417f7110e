"""Which action may move a case from which status, and where it lands. No database here."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.errors import N_
from app.vocabulary import OPEN_STATUSES, CaseStatus, CaseType, Role


class Action(enum.StrEnum):
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    NOTE = "note"
    REPORT = "report"
    CLOSE = "close"
    REOPEN = "reopen"
    MERGE = "merge"
    CANCEL = "cancel"
    WAIT = "wait"  # for the citizen: the SLA clock stops
    RESUME = "resume"
    RETURN = "return"  # 退回: closure review refuses the agency's report


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[CaseStatus]
    roles: frozenset[Role]
    to: CaseStatus | None  # None: the status does not change


_CENTRE = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
_AGENCY_AND_CENTRE = _CENTRE | {Role.AGENCY}

TRANSITIONS: dict[Action, Transition] = {
    Action.ASSIGN: Transition(
        frozenset({CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED}), _CENTRE, CaseStatus.ASSIGNED
    ),
    Action.ACKNOWLEDGE: Transition(frozenset({CaseStatus.ASSIGNED}), _AGENCY_AND_CENTRE, CaseStatus.ACKNOWLEDGED),
    Action.NOTE: Transition(frozenset(CaseStatus), _AGENCY_AND_CENTRE, None),
    Action.REPORT: Transition(
        frozenset({CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN}),
        _AGENCY_AND_CENTRE,
        CaseStatus.REPORTED,
    ),
    Action.CLOSE: Transition(frozenset({CaseStatus.NEW, CaseStatus.REPORTED}), _CENTRE, CaseStatus.CLOSED),
    Action.REOPEN: Transition(frozenset({CaseStatus.REPORTED, CaseStatus.CLOSED}), _CENTRE, None),
    Action.MERGE: Transition(OPEN_STATUSES, _CENTRE, CaseStatus.MERGED),
    Action.CANCEL: Transition(
        frozenset({CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN}),
        _CENTRE,
        CaseStatus.CANCELLED,
    ),
    # Only once acknowledged: waiting for the citizen must not stop the acknowledgement clock.
    Action.WAIT: Transition(frozenset({CaseStatus.ACKNOWLEDGED}), _AGENCY_AND_CENTRE, CaseStatus.WAITING_CITIZEN),
    Action.RESUME: Transition(frozenset({CaseStatus.WAITING_CITIZEN}), _AGENCY_AND_CENTRE, None),
    Action.RETURN: Transition(frozenset({CaseStatus.REPORTED}), _CENTRE, CaseStatus.ASSIGNED),
}

# Cases the centre answers itself may close straight from "new"; the rest wait for the agency.
CLOSABLE_WITHOUT_REPORT = frozenset({CaseType.CONSULTATION, CaseType.OTHER})


class TransitionRefused(Exception):
    """Why an action is not allowed; `reason` is a message code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check(action: Action, *, status: CaseStatus, case_type: CaseType, role: Role) -> None:
    """Raise TransitionRefused unless `role` may apply `action` to a case in `status`."""
    transition = TRANSITIONS[action]
    if role not in transition.roles:
        raise TransitionRefused(N_("auth.forbidden"))
    if status not in transition.allowed_from:
        raise TransitionRefused(N_("case.illegal_transition"))
    if action is Action.CLOSE and status is CaseStatus.NEW and case_type not in CLOSABLE_WITHOUT_REPORT:
        raise TransitionRefused(N_("case.close_needs_report"))


def reopened_status(*, has_agency: bool) -> CaseStatus:
    """A reopened case goes back to its agency, or to triage if it never had one."""
    return CaseStatus.ASSIGNED if has_agency else CaseStatus.NEW
