"""The reference snapshot: seeding here takes effect at once, seeding elsewhere within the TTL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.db import db
from app.errors import InvalidInput
from app.models import Category
from app.reference import cache
from tests.conftest import ManualClock
from tests.factories import Factory

pytestmark = pytest.mark.mutates_reference


def test_a_change_made_by_another_process_is_seen_after_the_ttl(factory: Factory, reference_clock: ManualClock) -> None:
    factory.case()  # the snapshot is loaded
    # As if `flask seed` had retired the category from another process.
    db.session.execute(update(Category).where(Category.code == "fallen_tree").values(active=False))
    db.session.commit()
    reference_clock.advance(cache.SNAPSHOT_TTL - 1)
    factory.case()  # still within the TTL: the snapshot this process loaded
    reference_clock.advance(2)
    with pytest.raises(InvalidInput) as refusal:
        factory.case()
    assert "category" in refusal.value.fields


def test_intake_reads_no_reference_rows_once_the_snapshot_is_loaded(factory: Factory) -> None:
    from sqlalchemy import event

    factory.case()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        factory.case()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    reference_reads = [
        s for s in statements if "FROM categories" in s or "FROM districts" in s or "FROM routing_rules" in s
    ]
    assert reference_reads == []
