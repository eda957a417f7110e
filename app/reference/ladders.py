"""The alert ladders of alerts.yaml: read and checked at seeding, and the book new cases start from."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

from app.reference.files import ReferenceFileError, load_entries, where
from config.settings import REFERENCE_DIR
from dispatch.ladder import LadderBook, build_ladder
from sla.policy import PolicyError


def read_ladders(
    path: Path, *, categories: Collection[str] | None = None, agencies: Collection[str] | None = None
) -> LadderBook:
    """The ladders in alerts.yaml, checked (against the known codes, when given); a mistake names its line."""
    ladders = []
    for entry in load_entries(path, "ladders"):
        for field, known in (("category", categories), ("agency", agencies)):
            code = entry.get(field)
            if code is not None and known is not None and code not in known:
                raise ReferenceFileError(f"{where(path, entry)}: unknown {field} {code!r}")
        if entry.get("category") and entry.get("agency"):
            raise ReferenceFileError(f"{where(path, entry)}: a ladder is for a category or an agency, not both")
        try:
            ladders.append(build_ladder(entry, where=where(path, entry)))
        except PolicyError as exc:
            raise ReferenceFileError(str(exc)) from exc
    try:
        return LadderBook(ladders)
    except PolicyError as exc:
        raise ReferenceFileError(f"{path.name}: {exc}") from exc


@lru_cache(maxsize=1)
def ladder_book() -> LadderBook:
    return read_ladders(REFERENCE_DIR / "alerts.yaml")
