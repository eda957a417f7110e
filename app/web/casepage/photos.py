"""The case's photos on its page: thumbnails linking to the full image, served only to those who may see the
case (another agency's photo is 404, like its case); and the report form's larger request size.
"""

from __future__ import annotations

from flask import g, request, send_file
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from app.cases.photos import MAX_BYTES, MAX_PHOTOS, photo_to_serve
from app.db import current_session
from app.storage import current_storage
from app.web.casepage.views import bp
from app.web.guards import login_required

# The report form's photos; every other console request keeps the app's small limit.
REPORT_REQUEST_MAX = MAX_PHOTOS * MAX_BYTES + 1024 * 1024


def _room_for_photos() -> None:
    """The report's photos fit (Flask 3.1 sets the limit per request); every other request keeps the small one."""
    if request.endpoint == "casepage.act" and (request.view_args or {}).get("action") == "report":
        request.max_content_length = REPORT_REQUEST_MAX


@bp.record_once
def _first_of_all(state: BlueprintSetupState) -> None:
    # First of the app's hooks: the API's refusal of unstorable input and the CSRF check both read the form,
    # which parses the body against the limit in force at that moment.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _room_for_photos)


@bp.route("/console/cases/<case_no>/photos/<int:photo_id>")
@login_required
def photo(case_no: str, photo_id: int) -> ResponseReturnValue:
    return _send(case_no, photo_id, thumb=False)


@bp.route("/console/cases/<case_no>/photos/<int:photo_id>/thumb")
@login_required
def photo_thumb(case_no: str, photo_id: int) -> ResponseReturnValue:
    return _send(case_no, photo_id, thumb=True)


def _send(case_no: str, photo_id: int, *, thumb: bool) -> ResponseReturnValue:
    row = photo_to_serve(current_session(), actor=g.actor, case_no=case_no, photo_id=photo_id)
    stream = current_storage().open(row.thumb_key if thumb else row.image_key)
    response = send_file(stream, mimetype=row.content_type, download_name=f"{case_no}-{row.id}.jpg", max_age=0)
    # Never in a shared cache; a photo does not change, so the browser may keep it for the shift.
    response.headers["Cache-Control"] = "private, max-age=28800"
    return response
