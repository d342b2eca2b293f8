"""A read model whose tables have an older layout is dropped at start-up and built again; the others stay.

Every ``build`` runs ``projections.schema.install``, which holds the columns of each
read model's tables against its layout: a read model with a table whose columns
differ loses its tables and its position, and is made again empty, for the next
catch-up to rebuild. A read model whose tables match keeps its rows and position.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api import demo
from api.bootstrap import Services, build
from projections.rebuild import verify
from projections.schema import existing_columns
from tests.conftest import Clock

CHANGED = "standings_teams"  # a table of the standings read model


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_read_model_with_a_table_of_an_older_layout_is_built_again(services: Services, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)  # after the demo's last decision
    demo.load(services.registry)
    services.projector.catch_up()
    head = services.projector.head()
    assert set(services.projector.positions().values()) == {head}
    with services.db.transaction() as cur:
        cur.execute(f"ALTER TABLE {CHANGED} ADD COLUMN retired TEXT")

    again = build(services.settings, clock=clock)  # a new process starting on the same database
    try:
        projector = again.projector
        assert projector.positions() == {"standings": 0, "history": head, "funding": head}
        with again.db.transaction() as cur:
            columns = existing_columns(cur, again.db.dialect, [CHANGED, "history_events"])
        layout = {table.name: set(table.names) for p in projector.projections.values() for table in p.layout}
        assert columns == {CHANGED: layout[CHANGED], "history_events": layout["history_events"]}
        projector.catch_up()
        assert set(projector.positions().values()) == {head}
        assert verify(projector, list(projector.projections)) == []
    finally:
        again.close()
