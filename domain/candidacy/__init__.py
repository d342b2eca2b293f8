"""The candidacy: one team in one programme, from application to the end.

A candidacy holds everything decided about one team — consortium, evaluations,
elimination and objection, re-entry offers and answers, funding held — so
decisions about different teams never touch the same stream. Where a decision
also needs a seat or budget, the programme aggregate is changed beside it and
both are saved together (see ``domain.program``).

Statuses (``TeamStatus``): ``applied`` (not seated yet), ``active`` (holds a
seat in ``stage``), ``eliminated`` (provisional until upheld or until its
objection deadline passes, then final) and ``withdrawn``.

Modules: ``state`` (the status and what the events assign), ``events`` (the
facts), ``aggregate`` (``Candidacy``: application, consortium, stages,
withdrawal) and one per concern of its other commands: ``evaluations``,
``eliminations``, ``reentry`` (offers), ``round_entries`` (applications to a
re-entry round, statements about it, the panel's selection), ``outcomes``, ``funding``.
"""

from domain.candidacy.aggregate import Candidacy
from domain.candidacy.eliminations import ELIMINATION_REASONS
from domain.candidacy.state import Elimination, Evaluation, Offer, TeamStatus

__all__ = ["ELIMINATION_REASONS", "Candidacy", "Elimination", "Evaluation", "Offer", "TeamStatus"]
