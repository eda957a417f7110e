"""SLA policies from `sla.yaml` into versioned rows: a changed policy gets a new version, old ones stay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.models import Agency, Category, SlaPolicyVersion
from app.reference.files import ReferenceFileError, load_entries, where
from app.reference.seed_apply import Seeding
from app.reference.versions import store_versions
from sla.policy import Policy, PolicyBook, PolicyError, build_policy


def read_policies(
    path: Path, *, categories: dict[str, Category], agencies: dict[str, Agency], working_day: timedelta
) -> list[Policy]:
    """Every policy in the file, checked; the first mistake names its line."""
    case_type_of = {code: category.case_type.value for code, category in categories.items()}
    policies: list[Policy] = []
    for entry in load_entries(path, "policies"):
        agency = entry.get("agency")
        if agency is not None and agency not in agencies:
            raise ReferenceFileError(f"{where(path, entry)}: unknown agency {agency!r}")
        try:
            policies.append(
                build_policy(entry, where=where(path, entry), case_type_of=case_type_of, working_day=working_day)
            )
            PolicyBook(policies)  # refuses a second policy for the same category and agency
        except PolicyError as exc:
            named = str(exc) if str(exc).startswith(path.name) else f"{where(path, entry)}: {exc}"
            raise ReferenceFileError(named) from exc
    return policies


def store_policies(
    session: Session, policies: list[Policy], report: dict[str, int], seeding: Seeding | None = None
) -> None:
    """Insert new versions for new or changed policies; retire the ones no longer in the file."""
    store_versions(session, SlaPolicyVersion, policies, report, "sla_policies", seeding)
