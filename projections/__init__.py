"""Read models derived from the event log: standings, history and the funding ledger."""

from __future__ import annotations

from projections.funding import FundingProjection
from projections.history import HistoryProjection
from projections.schema import Projection
from projections.standings import StandingsProjection


def all_projections() -> list[Projection]:
    return [StandingsProjection(), HistoryProjection(), FundingProjection()]
