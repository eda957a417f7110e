"""Surge tools (颱風): the last hour's reports by district and category, clusters of one place or one road,
and bulk actions with one confirmation (merge a cluster into a parent; acknowledge or close many with one
text). Each case still gets its own transaction and event; the result page says how each one went."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, g, render_template, request
from flask.typing import ResponseReturnValue

from app.cases import bulk
from app.cases.clusters import clusters, groups
from app.db import current_session, utcnow
from app.i18n import is_english, message
from app.present.times import roc_datetime
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.vocabulary import Role
from app.web import nav
from app.web.guards import roles_required
from app.web.labels import L_, label
from app.web.pagekit import page_blueprint

bp = page_blueprint("surge", __name__)
VIEWERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
ACTORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
nav.register(nav.Page("surge.page", L_("nav.surge"), VIEWERS, "T", order=47))

CLUSTERS_SHOWN = 12  # clusters on the page; the count says how many more
MEMBERS_SHOWN = 8  # case numbers listed per cluster before "and N more"
CASES_SHOWN = 200  # the last hour's open cases, with a checkbox each
BULK_ACTIONS = {"acknowledge": L_("surge.bulk.acknowledge"), "close": L_("surge.bulk.close")}
BUILT_KEYS = (
    L_("surge.kind.place"),
    L_("surge.kind.road"),
    L_("surge.bulk.merge"),
    L_("surge.col.status"),
    L_("surge.col.agency"),
    L_("surge.col.address"),
    L_("surge.col.received"),
)


def _window() -> int:
    """Minutes to look back: an hour unless the page asks for another span (15 minutes to 12 hours)."""
    try:
        minutes = int(request.values.get("minutes", "60"))
    except ValueError:
        minutes = 60
    return min(max(minutes, 15), 720)


@bp.route("/console/surge")
@roles_required(VIEWERS)
def page() -> ResponseReturnValue:
    session, tz = current_session(), current_settings().timezone
    minutes = _window()
    since = utcnow() - timedelta(minutes=minutes)
    cases = bulk.surge_cases(session=session, since=since)
    snapshot = reference_cache.snapshot(session)
    english = is_english()
    district_names = {code: (row.name_en if english else row.name_zh) for code, row in snapshot.districts.items()}
    category_names = {code: (row.name_en if english else row.name_zh) for code, row in snapshot.categories.items()}
    agency_names = {row.id: (row.name_en if english else row.name_zh) for row in snapshot.agencies.values()}
    versions = {case.case_no: case.version for case in cases}
    found = clusters(case.report for case in cases)
    return render_template(
        "web/surge.html",
        minutes=minutes,
        total=len(cases),
        may_act=g.actor.role in ACTORS,
        groups=[
            {
                "district": district_names.get(group.district, group.district),
                "category": category_names.get(group.category, group.category),
                "count": group.count,
            }
            for group in groups(case.report for case in cases)
        ],
        clusters=[
            {
                "key": cluster.key,
                "kind": cluster.kind,
                "where": cluster.where,
                "district": district_names.get(cluster.district, cluster.district),
                "category": category_names.get(cluster.category, cluster.category),
                "count": len(cluster.reports),
                "members": [report.case_no for report in cluster.reports],
                "seen": [f"{report.case_no}:{versions[report.case_no]}" for report in cluster.reports],
            }
            for cluster in found[:CLUSTERS_SHOWN]
        ],
        clusters_total=len(found),
        members_shown=MEMBERS_SHOWN,
        cases=[
            {
                "case_no": case.case_no,
                "seen": f"{case.case_no}:{case.version}",
                "status": label(f"case_status.{case.status}"),
                "agency": agency_names.get(case.agency_id or -1, ""),
                "district": district_names.get(case.report.district, ""),
                "category": category_names.get(case.report.category, ""),
                "address": case.report.address,
                "received": roc_datetime(case.report.received_at, tz),
            }
            for case in reversed(cases[-CASES_SHOWN:])
        ],
        bulk_actions=BULK_ACTIONS,
    )


def _seen(values: list[str]) -> list[bulk.Seen]:
    """`case_no:version` pairs from the form, in order, each once; anything else is ignored."""
    result, known = [], set()
    for value in values:
        case_no, _, version = value.partition(":")
        if case_no and version.isdigit() and case_no not in known:
            known.add(case_no)
            result.append(bulk.Seen(case_no, int(version)))
    return result[: bulk.BULK_MAX]


@bp.route("/console/surge/bulk", methods=["POST"])
@roles_required(ACTORS)
def bulk_action() -> ResponseReturnValue:
    """First post: what will happen, to confirm. Second (confirmed): each case done in turn, with its result."""
    action = request.form.get("action", "")
    if action not in ("merge", *BULK_ACTIONS):
        abort(400)
    seen = _seen(request.form.getlist("case"))
    parent = request.form.get("parent", "").strip()
    text = request.form.get("text", "").strip()[:1000]
    problems = []
    if not seen:
        problems.append(label(L_("surge.error.no_cases")))
    if action == "merge" and parent not in {item.case_no for item in seen}:
        problems.append(label(L_("surge.error.no_parent")))
    if action == "close" and not text:
        problems.append(label(L_("surge.error.no_text")))
    context: dict[str, Any] = {
        "action": action,
        "action_label": label(BULK_ACTIONS.get(action, L_("surge.bulk.merge"))),
        "seen": seen,
        "parent": parent,
        "text": text,
        "minutes": _window(),
        "problems": problems,
    }
    if problems:
        return render_template("web/surge/confirm.html", **context), 422
    if request.form.get("confirmed") != "1":
        return render_template("web/surge/confirm.html", **context)
    session, actor = current_session(), g.actor
    if action == "merge":
        outcomes = bulk.bulk_merge(session=session, actor=actor, parent_case_no=parent, cases=seen, reason=text or None)
    elif action == "acknowledge":
        outcomes = bulk.bulk_acknowledge(session=session, actor=actor, cases=seen, text=text)
    else:
        outcomes = bulk.bulk_close(session=session, actor=actor, cases=seen, text=text)
    results = [
        {
            "case_no": outcome.case_no,
            "done": outcome.done,
            "why": "" if outcome.done else message(outcome.code, **outcome.params),
        }
        for outcome in outcomes
    ]
    return render_template(
        "web/surge/results.html",
        **context,
        results=results,
        done=sum(1 for row in results if row["done"]),
        refused=sum(1 for row in results if not row["done"]),
    )
