"""The case page's action forms: one per lifecycle action, each carrying the version of the case it was read at.

Every form has a prefix (its action), so the page's many forms keep distinct field ids and names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from app.access import Actor
from app.cases import actions, lifecycle, review
from app.cases.lifecycle import Action
from app.cases.photos import MAX_BYTES, Upload
from app.models import DESCRIPTION_MAX, Case
from app.vocabulary import ReportOutcome
from app.web.forms import Required
from app.web.labels import L_, label

REASON_MAX = 1000
CASE_NO_MAX = 16


class MaxLength:
    """Like wtforms' Length(max=…), with the console's words chosen per request."""

    def __init__(self, most: int) -> None:
        self.most = most

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str) and len(field.data) > self.most:
            raise StopValidation(label("case_form.too_long", max=self.most, given=len(field.data)))


def _whole_number(form: Form, field: Field) -> None:
    try:
        if int(field.data or "") < 0:
            raise ValueError
    except ValueError as exc:
        raise ValidationError(label("case_form.bad_version")) from exc


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):  # type: ignore[misc]
    """The version of the case the user read, and the last event they saw (to say what changed since)."""

    version = HiddenField(validators=[_whole_number])
    seen = HiddenField(validators=[_whole_number])

    def arguments(self) -> dict[str, Any]:
        """The service function's keyword arguments besides session, actor, case_no and version."""
        return {}


class AssignForm(ActionForm):
    agency = SelectField(validate_choice=True)

    def arguments(self) -> dict[str, Any]:
        return {"agency_code": self.agency.data or None}


class TextForm(ActionForm):
    text = TextAreaField(validators=[Required(), MaxLength(DESCRIPTION_MAX)], filters=[_stripped])

    def arguments(self) -> dict[str, Any]:
        return {"text": self.text.data}


class ReportForm(ActionForm):
    """回報處理情形: the outcome from the fixed list, what was done, and up to five photos (multipart)."""

    outcome = SelectField(validators=[Required()], validate_choice=True)
    text = TextAreaField(validators=[Required(), MaxLength(DESCRIPTION_MAX)], filters=[_stripped])
    photos = MultipleFileField(
        render_kw={
            "accept": "image/jpeg,image/png,image/heic,image/heif,.heic,.heif",
            "aria-describedby": "report-photos-hint",
        }
    )

    def arguments(self) -> dict[str, Any]:
        # One byte over the limit is enough for the service to refuse it; the rest is never read.
        uploads = [
            Upload(file.filename or "", file.read(MAX_BYTES + 1))
            for file in self.photos.data or []
            if getattr(file, "filename", "")  # a file input left empty still sends one nameless part
        ]
        return {"text": self.text.data, "outcome": self.outcome.data, "photos": uploads}


class CloseForm(ActionForm):
    resolution = TextAreaField(validators=[Required(), MaxLength(DESCRIPTION_MAX)], filters=[_stripped])

    def arguments(self) -> dict[str, Any]:
        return {"resolution": self.resolution.data}


class ReasonForm(ActionForm):
    reason = TextAreaField(validators=[Required(), MaxLength(REASON_MAX)], filters=[_stripped])

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.reason.data}


class MergeForm(ActionForm):
    into = StringField(validators=[Required(), MaxLength(CASE_NO_MAX)], filters=[_stripped])
    reason = TextAreaField(validators=[MaxLength(REASON_MAX)], filters=[_stripped])

    def arguments(self) -> dict[str, Any]:
        return {"into_case_no": self.into.data, "reason": self.reason.data or None}


@dataclass(frozen=True)
class ActionKind:
    form: type[ActionForm]
    service: Callable[..., Case]
    title: str  # console key: the form's heading
    submit: str  # console key: its button


# The order the page shows them in: the usual next step first (on a reported case, the closure review).
ACTIONS: dict[Action, ActionKind] = {
    Action.ACKNOWLEDGE: ActionKind(
        ActionForm, actions.acknowledge_case, L_("action.acknowledge"), L_("action.acknowledge.submit")
    ),
    Action.REPORT: ActionKind(ReportForm, actions.report_back, L_("action.report"), L_("action.report.submit")),
    Action.CLOSE: ActionKind(CloseForm, actions.close_case, L_("action.close"), L_("action.close.submit")),
    Action.RETURN: ActionKind(ReasonForm, review.return_case, L_("action.return"), L_("action.return.submit")),
    Action.NOTE: ActionKind(TextForm, actions.add_note, L_("action.note"), L_("action.note.submit")),
    Action.ASSIGN: ActionKind(AssignForm, actions.assign_case, L_("action.assign"), L_("action.assign.submit")),
    Action.WAIT: ActionKind(ReasonForm, actions.wait_for_citizen, L_("action.wait"), L_("action.wait.submit")),
    Action.RESUME: ActionKind(ActionForm, actions.resume_case, L_("action.resume"), L_("action.resume.submit")),
    Action.REOPEN: ActionKind(ReasonForm, actions.reopen_case, L_("action.reopen"), L_("action.reopen.submit")),
    Action.MERGE: ActionKind(MergeForm, actions.merge_case, L_("action.merge"), L_("action.merge.submit")),
    Action.CANCEL: ActionKind(ReasonForm, actions.cancel_case, L_("action.cancel"), L_("action.cancel.submit")),
}

# The label of each action's fields, by field name (console keys).
FIELD_LABELS = {
    "agency": L_("action.field.agency"),
    "text": L_("action.field.text"),
    "resolution": L_("action.field.resolution"),
    "reason": L_("action.field.reason"),
    "into": L_("action.field.into"),
    "outcome": L_("action.field.outcome"),
    "photos": L_("action.field.photos"),
}
# The outcomes' words (`report_outcome.<value>`), in the order the form offers them.
OUTCOME_KEYS = {
    ReportOutcome.DONE: L_("report_outcome.done"),
    ReportOutcome.SCHEDULED: L_("report_outcome.scheduled"),
    ReportOutcome.NOT_OURS: L_("report_outcome.not_ours"),
    ReportOutcome.NEEDS_OTHER_AGENCY: L_("report_outcome.needs_other_agency"),
    ReportOutcome.CANNOT_FIND: L_("report_outcome.cannot_find"),
    ReportOutcome.OTHER: L_("report_outcome.other"),
}
REPORT_TEXT_LABEL = L_("action.field.report_text")
# The close form on a reported case, where closing is accepting the agency's report (結案審核): built in
# _actions.html, listed for extraction.
ACCEPT_KEYS = (L_("action.accept"), L_("action.accept.submit"))
MERGE_REASON_LABEL = L_("action.field.merge_reason")


def allowed_actions(actor: Actor, case: Case) -> list[Action]:
    """The actions this actor may take on the case as it stands (lifecycle.TRANSITIONS decides)."""
    allowed = []
    for action in ACTIONS:
        try:
            lifecycle.check(action, status=case.status, case_type=case.case_type, role=actor.role)
        except lifecycle.TransitionRefused:
            continue
        allowed.append(action)
    return allowed


def blank_form(action: Action, *, version: int, seen: int, agencies: list[tuple[str, str]]) -> ActionForm:
    """A form for this action at the case's current version, empty."""
    form = ACTIONS[action].form(prefix=action.value, formdata=None, data={"version": version, "seen": seen})
    _set_choices(form, agencies)
    return form


def posted_form(action: Action, *, agencies: list[tuple[str, str]]) -> ActionForm:
    """The form as the user sent it (values kept for a second try)."""
    form = ACTIONS[action].form(prefix=action.value)
    _set_choices(form, agencies)
    return form


def _set_choices(form: ActionForm, agencies: list[tuple[str, str]]) -> None:
    if isinstance(form, AssignForm):
        form.agency.choices = [("", label("action.assign.by_rules")), *agencies]
    if isinstance(form, ReportForm):
        # No outcome is chosen for the responder: "done" by default would be said of work not done.
        choices = [(outcome.value, label(key)) for outcome, key in OUTCOME_KEYS.items()]
        form.outcome.choices = [("", label("action.outcome.choose")), *choices]
