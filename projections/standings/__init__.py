"""Standings: per programme and stage, the seats, who holds them, each team's outcome,
latest scores, total and rank, and the re-entry rounds with their offers.

Rows store facts only; counts of holders and vacancies, ranks and whether an
elimination is final (upheld, or its objection deadline passed) are computed
when read, so they can never disagree with the rows they come from.

``tables`` lays the rows out, ``handlers`` writes them from events, ``queries``
reads a programme or a team as it stood after a log position, and ``replies``
computes what is judged when read.
"""

from __future__ import annotations

from projections.standings.handlers import StandingsProjection
from projections.standings.queries import list_programs, program_exists, program_standings, team_record
from projections.standings.tables import NAME

__all__ = ["NAME", "StandingsProjection", "list_programs", "program_exists", "program_standings", "team_record"]
