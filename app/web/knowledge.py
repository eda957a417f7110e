"""The knowledge base's pages (知識庫): search and browse, read, propose and edit, publish; answer a call.

Thin: parse the form, call one service function, render. Agents answer a caller from a published
article in one action (the call in progress ends as a consultation answered, with the article);
`POST /console/knowledge/<id>/answer` also answers JSON, for the intake page's script.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.api.errors import handle_domain_error
from app.db import current_session, utcnow
from app.errors import N_, Conflict, DomainError, InvalidInput
from app.i18n import is_english, message
from app.knowledge import queries, service
from app.knowledge.answers import answer_from_article, open_call
from app.knowledge.service import ArticleInput
from app.knowledge.text import clean_tags
from app.models import Article
from app.present.article import article_view, call_view, changed_fields, excerpt, revision_view
from app.present.audience import view_of
from app.reference.cache import reference_cache
from app.reference.names import ReferenceNames
from app.settings_access import current_settings
from app.vocabulary import ArticleState
from app.web import nav
from app.web.guards import roles_required
from app.web.labels import L_, label
from app.web.pagekit import page_blueprint

bp = page_blueprint("knowledge", __name__)
nav.register(nav.Page("knowledge.search", L_("nav.knowledge"), nav.STAFF, "K", order=35))

FIELDS = ("title_zh", "title_en", "body_zh", "body_en", "tags", "agency", "review_on")
FIELD_LABELS = {
    "title_zh": L_("kb.field.title_zh"),
    "title_en": L_("kb.field.title_en"),
    "body_zh": L_("kb.field.body_zh"),
    "body_en": L_("kb.field.body_en"),
    "tags": L_("kb.field.tags"),
    "agency_id": L_("kb.field.agency"),
    "review_on": L_("kb.field.review_on"),
    "state": L_("kb.field.state"),
}
# Keys the templates build at run time ("kb.state." ~ state), listed so that extraction keeps them.
BUILT_KEYS = (
    L_("kb.state.draft"),
    L_("kb.state.published"),
    L_("kb.state.archived"),
    L_("kb.list.published"),
    L_("kb.list.draft"),
    L_("kb.list.archived"),
    L_("kb.action.proposed"),
    L_("kb.action.edited"),
    L_("kb.action.published"),
    L_("kb.action.archived"),
    L_("kb.action.review_set"),
    L_("kb.action.loaded"),
)
DONE = {
    "publish": N_("article.publish_done"),
    "archive": N_("article.archive_done"),
    "review": N_("article.review_done"),
}
# Which articles each kind of list shows; agents answering calls look at published ones.
LISTS = {"published": {ArticleState.PUBLISHED}, "draft": {ArticleState.DRAFT}, "archived": {ArticleState.ARCHIVED}}


def _today() -> date:
    return utcnow().astimezone(current_settings().timezone).date()


def _view(article: Article) -> dict[str, Any]:
    session = current_session()
    return article_view(
        article,
        view=view_of(g.actor),
        english=is_english(),
        names=ReferenceNames.load(session),
        tz=current_settings().timezone,
        today=_today(),
    )


def _current_call() -> dict[str, Any] | None:
    call = open_call(current_session(), user_id=g.actor.user_id)
    return call_view(call, view=view_of(g.actor), tz=current_settings().timezone) if call else None


@bp.route("/console/knowledge")
@roles_required(nav.STAFF)
def search() -> ResponseReturnValue:
    """Search or browse: every term must match; title hits first; the tag filter narrows."""
    query = request.args.get("q", "").strip()[:200]
    tag = request.args.get("tag", "").strip()[:40] or None
    shown = request.args.get("list", "published")
    states = LISTS.get(shown, LISTS["published"])
    session = current_session()
    articles, total = queries.find_articles(session, query=query, states=states, tag=tag)
    results = [_with_excerpt(_view(article)) for article in articles]
    return render_template(
        "web/knowledge/search.html",
        query=query,
        tag=tag or "",
        shown=shown if shown in LISTS else "published",
        tags=queries.tags_in_use(session, states),
        results=results,
        total=total,
        call=_current_call(),
        searched=bool(query or tag),
    )


def _with_excerpt(view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "excerpt": excerpt(view["body"])}


@bp.route("/console/knowledge/<int:article_id>")
@roles_required(nav.STAFF)
def read(article_id: int) -> ResponseReturnValue:
    article = queries.get_article(current_session(), article_id)
    return _article_page(article, review_value=article.review_on.isoformat() if article.review_on else "")


def _article_page(article: Article, *, review_value: str, errors: dict[str, list[str]] | None = None) -> str:
    """The article with its history; `errors`: the review date just refused, shown beside the date typed."""
    tz = current_settings().timezone
    return render_template(
        "web/knowledge/article.html",
        article=_view(article),
        revisions=[revision_view(row, tz=tz) for row in queries.revisions(current_session(), article.id)],
        call=_current_call(),
        may_edit=service.may_edit(g.actor, article),
        may_publish=service.may_publish(g.actor),
        today=_today().isoformat(),
        review_value=review_value,
        errors=_messages(errors or {}),
    )


@bp.route("/console/knowledge/new", methods=["GET", "POST"])
@roles_required(nav.STAFF)
def propose() -> ResponseReturnValue:
    values = _form_values() if request.method == "POST" else dict.fromkeys(FIELDS, "")
    if request.method == "POST":
        try:
            article = service.propose_article(session=current_session(), actor=g.actor, draft=_article_input(values))
        except InvalidInput as refused:
            return _edit_page(values, errors=refused.fields, article=None), 422
        flash(message("article.proposed"))
        return redirect(url_for("knowledge.read", article_id=article.id))
    return _edit_page(values, errors={}, article=None)


@bp.route("/console/knowledge/<int:article_id>/edit", methods=["GET", "POST"])
@roles_required(nav.STAFF)
def edit(article_id: int) -> ResponseReturnValue:
    session = current_session()
    article = queries.get_article(session, article_id)
    if request.method == "GET":
        return _edit_page(_article_values(article), errors={}, article=article, version=article.version)
    values = _form_values()
    version = _int(request.form.get("version"))
    try:
        service.edit_article(
            session=session, actor=g.actor, article_id=article_id, version=version, draft=_article_input(values)
        )
    except InvalidInput as refused:
        return _edit_page(values, errors=refused.fields, article=article, version=version), 422
    except Conflict as refused:
        if refused.code != "article.stale_version":
            raise
        return _stale_page(article_id, values, version), 409
    flash(message("article.saved"))
    return redirect(url_for("knowledge.read", article_id=article_id))


def _stale_page(article_id: int, values: dict[str, str], seen_version: int) -> str:
    """Someone saved in between: say who, when and what, keep what this writer typed, and let them save over it."""
    session = current_session()
    session.expire_all()
    current = queries.get_article(session, article_id)
    before = queries.revision(session, article_id, seen_version)
    latest = queries.revisions(session, article_id)[0]
    stale = {
        "who": latest.actor.username if latest.actor else "",
        "when": revision_view(latest, tz=current_settings().timezone)["at"],
        "fields": "、".join(label(FIELD_LABELS[name]) for name in changed_fields(before, current)),
        "current": _article_values(current),
    }
    return _edit_page(values, errors={}, article=current, version=current.version, stale=stale)


@bp.route("/console/knowledge/<int:article_id>/<any(publish, archive, review):action>", methods=["POST"])
@roles_required(nav.STAFF)
def change_state(article_id: int, action: str) -> ResponseReturnValue:
    """Publish, archive or set the review date (supervisors; the service refuses anyone else)."""
    session = current_session()
    version = _int(request.form.get("version"))
    target = url_for("knowledge.read", article_id=article_id)
    try:
        if action == "publish":
            service.publish_article(
                session=session, actor=g.actor, article_id=article_id, version=version, today=_today()
            )
        elif action == "archive":
            service.archive_article(session=session, actor=g.actor, article_id=article_id, version=version)
        else:
            review_on = _date(request.form.get("review_on", ""))
            service.set_review_date(
                session=session,
                actor=g.actor,
                article_id=article_id,
                version=version,
                review_on=review_on,
                today=_today(),
            )
    except InvalidInput as refused:
        return _review_refused(article_id, refused), 422
    except Conflict as refused:
        session.rollback()
        flash(message(refused.code, **refused.params))
        return redirect(target)
    flash(message(DONE[action]))
    return redirect(target)


def _review_refused(article_id: int, refused: InvalidInput) -> str:
    session = current_session()
    session.rollback()
    return _article_page(
        queries.get_article(session, article_id), review_value=request.form.get("review_on", ""), errors=refused.fields
    )


@bp.route("/console/knowledge/<int:article_id>/answer", methods=["POST"])
@roles_required(nav.STAFF)
def answer(article_id: int) -> ResponseReturnValue:
    """End the user's call in progress (or `call_id`) as answered by this article.

    Form post: back to the article with a notice. JSON ({"call_id": optional}, X-CSRFToken): 200
    {"call_id", "outcome", "article_id", "ended_at"}, or the API's error envelope.
    """
    wants_json = request.is_json
    body = (request.get_json(silent=True) or {}) if wants_json else request.form
    call_id = _int(body.get("call_id")) if body.get("call_id") not in (None, "") else None
    try:
        call = answer_from_article(session=current_session(), actor=g.actor, article_id=article_id, call_id=call_id)
    except DomainError as refused:
        if wants_json:
            return handle_domain_error(refused)  # the API's error envelope; it rolls back
        current_session().rollback()
        flash(message(next(iter(refused.fields.values()))[0]) if refused.fields else message(refused.code))
        return redirect(url_for("knowledge.read", article_id=article_id))
    if wants_json:
        ended = call.ended_at.isoformat() if call.ended_at else None
        return jsonify(
            {
                "call_id": call.id,
                "outcome": call.outcome.value if call.outcome else None,
                "article_id": call.article_id,
                "ended_at": ended,
            }
        )
    flash(message("call.answered_from_article"))
    return redirect(url_for("knowledge.read", article_id=article_id, answered=call.id))


# Forms -------------------------------------------------------------------------------------


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "")[:20000] for name in FIELDS}


def _article_values(article: Article) -> dict[str, str]:
    agency = ReferenceNames.load(current_session()).agency_code(article.agency_id)
    return {
        "title_zh": article.title_zh,
        "title_en": article.title_en,
        "body_zh": article.body_zh,
        "body_en": article.body_en,
        "tags": "、".join(article.tags),
        "agency": agency or "",
        "review_on": article.review_on.isoformat() if article.review_on else "",
    }


def _article_input(values: dict[str, str]) -> ArticleInput:
    review_on = _date(values["review_on"]) if values["review_on"].strip() else None
    return ArticleInput(
        title_zh=values["title_zh"],
        title_en=values["title_en"],
        body_zh=values["body_zh"],
        body_en=values["body_en"],
        tags=clean_tags(values["tags"]),
        agency_code=values["agency"].strip() or None,
        review_on=review_on,
    )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        if value.strip():
            raise InvalidInput("validation.failed", fields={"review_on": ["field.bad_date"]}) from None
        return None


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InvalidInput("validation.failed", fields={"version": ["field.type_mismatch"]}) from None


def _edit_page(
    values: dict[str, str],
    *,
    errors: dict[str, list[str]],
    article: Article | None,
    version: int | None = None,
    stale: dict[str, Any] | None = None,
) -> str:
    english = is_english()
    agencies = sorted(
        (
            (code, row.name_en if english else row.name_zh)
            for code, row in reference_cache.snapshot(current_session()).agencies.items()
        ),
        key=lambda item: item[0],
    )
    return render_template(
        "web/knowledge/edit.html",
        values=values,
        errors=_messages(errors),
        article=_view(article) if article is not None else None,
        version=version,
        agencies=agencies,
        may_set_review=service.may_publish(g.actor),
        stale=stale,
    )


def _messages(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """A refusal's message codes per field, in the reader's language."""
    return {name: [message(code) for code in codes] for name, codes in fields.items()}
