"""The intake page's forms: start a call, record its case, end it otherwise. Values are kept on every error."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, Form, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, StopValidation

from app.calls.service import CALL_CHANNELS, TEXT_MAX
from app.models import DESCRIPTION_MAX
from app.vocabulary import CallOutcome, Channel
from app.web.forms import Required
from app.web.labels import L_, label

ADDRESS_MAX = 300
NAME_MAX = 100
PHONE_MAX = 40
# The outcomes the end-call form offers; "case opened" is the case form's own.
END_OUTCOMES = tuple(outcome for outcome in CallOutcome if outcome is not CallOutcome.CASE_OPENED)
TRANSFER_LINES = ("110", "119", "other")
CHANNEL_ORDER = tuple(channel for channel in Channel if channel in CALL_CHANNELS)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class MaxChars:
    """Longer than the column holds: said in the console's words, with the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str) and len(field.data) > self.limit:
            raise StopValidation(label("form.too_long", max=self.limit))


class StartCallForm(FlaskForm):  # type: ignore[misc]
    caller = StringField(filters=[_strip], validators=[Optional(), MaxChars(PHONE_MAX)])
    channel = SelectField(choices=[(channel.value, channel.value) for channel in CHANNEL_ORDER], default="phone")


class CaseForm(FlaskForm):  # type: ignore[misc]
    category = SelectField(validate_choice=False, validators=[Required()])
    district = SelectField(validate_choice=False)
    address = StringField(filters=[_strip], validators=[MaxChars(ADDRESS_MAX)])
    description = TextAreaField(filters=[_strip], validators=[Required(), MaxChars(DESCRIPTION_MAX)])
    reporter_name = StringField(filters=[_strip], validators=[MaxChars(NAME_MAX)])
    reporter_phone = StringField(filters=[_strip], validators=[MaxChars(PHONE_MAX)])
    wants_sms = BooleanField()
    anonymous = BooleanField()


class EndCallForm(FlaskForm):  # type: ignore[misc]
    outcome = RadioField(choices=[(outcome.value, outcome.value) for outcome in END_OUTCOMES], validate_choice=False)
    answer_text = TextAreaField(filters=[_strip], validators=[MaxChars(TEXT_MAX)])
    # Answered from a knowledge-base article: its id (the knowledge base's "answer with this" sends it).
    article_id = HiddenField()
    case_no = StringField(filters=[_strip], validators=[MaxChars(20)])
    transferred_to = SelectField(choices=[("", "")] + [(line, line) for line in TRANSFER_LINES], default="")
    transfer_other = StringField(filters=[_strip], validators=[MaxChars(40)])
    note = TextAreaField(filters=[_strip], validators=[MaxChars(TEXT_MAX)])

    def validate_outcome(self, field: Field) -> None:
        if field.data not in {outcome.value for outcome in END_OUTCOMES}:
            raise StopValidation(label("form.choose_outcome"))

    def validate_article_id(self, field: Field) -> None:
        if field.data and not (str(field.data).isdigit() and 0 < int(field.data) < 2**63):
            raise StopValidation(label("form.bad_article"))

    def destination(self) -> str | None:
        """110, 119, or the other line typed beside it."""
        chosen = self.transferred_to.data or ""
        return (self.transfer_other.data or None) if chosen == "other" else (chosen or None)

    def article(self) -> int | None:
        return int(self.article_id.data) if self.article_id.data else None


# Words the templates and the page scripts build from values ("outcome." ~ value): listed so extraction keeps them.
BUILT_KEYS = (
    L_("channel.phone"),
    L_("channel.counter"),
    L_("channel.line_video"),
    L_("outcome.consultation_answered"),
    L_("outcome.case_opened"),
    L_("outcome.added_to_case"),
    L_("outcome.progress_inquiry"),
    L_("outcome.transferred"),
    L_("outcome.hung_up"),
    L_("outcome.wrong_number"),
    L_("outcome.abusive"),
    L_("transfer.110"),
    L_("transfer.119"),
    L_("transfer.other"),
    L_("why.same_place"),
    L_("why.nearby"),
    L_("why.same_caller"),
    L_("sla_stage.on_track"),
    L_("sla_stage.at_risk"),
    L_("sla_stage.breached"),
    L_("sla_stage.escalated"),
    L_("sla_stage.paused"),
    L_("sla_stage.met"),
    L_("sla_stage.met_late"),
    L_("sla_stage.stopped"),
    L_("time_left.overdue"),
    L_("time_left.remaining"),
    L_("time_left.overdue_working"),
    L_("time_left.remaining_working"),
    # Field labels and hints the form macros are given by key
    L_("intake.category"),
    L_("intake.category_hint"),
    L_("intake.district"),
    L_("intake.district_hint"),
    L_("intake.address"),
    L_("intake.description"),
    L_("intake.reporter_name"),
    L_("intake.reporter_phone"),
    L_("intake.reporter_phone_hint"),
    L_("intake.wants_sms"),
    L_("intake.anonymous"),
    L_("intake.anonymous_hint"),
    L_("end.answer_text"),
    L_("end.answer_hint"),
    L_("end.case_no"),
    L_("end.case_no_hint"),
    L_("end.transfer_other"),
    L_("end.note"),
    L_("my_work.col.case_no"),
    L_("my_work.col.category"),
    L_("my_work.col.place"),
    L_("my_work.col.status"),
    L_("my_work.col.time_left"),
    L_("my_work.col.reports"),
    L_("my_work.col.started"),
    L_("my_work.col.caller"),
    L_("my_work.col.outcome"),
)
