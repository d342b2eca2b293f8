"""Hypothesis strategies for runs of decision attempts against the programme in ``attempts``.

A run opens with two to four applications and a re-entry round that the rules
always accept, so every run has teams to decide about and a round to offer
seats in; the attempts after them are weighted towards the common decisions
(advance, evaluate, grant, offer) and mostly well formed, with a minority —
repeats, skewed stages, scores above the maximum, grants over budget, missing
reasons — that the rules must refuse.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from hypothesis import strategies as st

from domain.access import ROLES
from domain.candidacy import ELIMINATION_REASONS
from domain.program import ELIGIBILITY
from tests.integration import attempts as a
from tests.integration import reentry_attempts as e
from tests.integration import resource_attempts as ra
from tests.integration import round_attempts as r

T = TypeVar("T")

hints = st.integers(0, 7)


def mostly(usual: st.SearchStrategy[T], rare: st.SearchStrategy[T], odds: int = 4) -> st.SearchStrategy[T]:
    """``usual`` ``odds`` times out of ``odds + 1``, else ``rare``."""
    return st.sampled_from([usual] * odds + [rare]).flatmap(lambda s: s)


skews = mostly(st.just(0), st.sampled_from([-1, 1]), odds=6)  # off the stage the rules expect


def points(maximum: int) -> st.SearchStrategy[Decimal]:
    """Scores within range, and now and then a little above the criterion's maximum."""
    return st.decimals(min_value=0, max_value=maximum + 4, places=1)


def members(size: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(st.integers(0, len(a.MEMBERS) - 1), max_size=size).map(tuple)


applications = st.builds(
    a.Apply,
    team=st.integers(0, len(a.TEAM_CODES) - 1),
    stage=st.sampled_from([0, 0, 0, 1, 3]),  # 1: a new entrant for stage 2; 3: no such stage
    lead=st.integers(0, len(a.LEADS) - 1),
    members=members(3),
    gpu_excluded=st.booleans(),
)
scores = {"benchmark": points(60), "expert": points(40), "passed": st.booleans()}
WEIGHTED: list[tuple[st.SearchStrategy[a.Attempt], int]] = [
    (applications, 3),
    (st.builds(a.Advance, team=hints, skew=skews), 6),
    (st.builds(a.Evaluate, team=hints, skew=skews, **scores), 3),
    (st.builds(a.Amend, team=hints, back=st.sampled_from([0, 0, 1, 3]), **scores), 1),
    (
        st.builds(
            a.Eliminate,
            team=hints,
            reason_code=mostly(st.sampled_from(ELIMINATION_REASONS), st.just("unknown")),
            hours=mostly(st.integers(1, 96), st.just(0)),
        ),
        2,
    ),
    (st.builds(a.Uphold, team=hints), 2),
    (st.builds(a.Reverse, team=hints), 1),
    (
        st.builds(
            a.OpenRound,
            stage=st.integers(0, 2),
            seats=st.integers(1, 2),
            eligibility=mostly(
                st.lists(st.sampled_from(ELIGIBILITY), min_size=1, max_size=3, unique=True).map(tuple), st.just(())
            ),
            opened=st.integers(0, 24),
            hours=st.integers(24, 240),
        ),
        2,
    ),
    (st.builds(a.Offer, team=hints, back=st.sampled_from([0, 0, 0, 1]), hours=st.integers(1, 96)), 3),
    (st.builds(a.Answer, team=hints, accept=st.booleans(), offer=st.integers(1, 2)), 3),
    (st.builds(a.Withdraw, team=hints), 1),
    (
        st.builds(
            a.Grant,
            team=hints,
            resource=st.integers(0, len(a.RESOURCES) - 1),
            quantity=st.integers(1, 600),  # the budgets are 1000 and 500: grants soon exceed them
            months=st.sampled_from([6, 12, 6, 0, -1]),
        ),
        3,
    ),
    (
        st.builds(
            a.Return,
            team=hints,
            resource=hints,
            quantity=st.integers(1, 300),
            excess=st.sampled_from([0, 0, 0, 1, 1000]),
        ),
        1,
    ),
    (
        st.builds(a.IncreaseBudget, resource=st.integers(0, len(a.RESOURCES) - 1), amount=st.integers(-1, 800)),
        1,
    ),
    (
        st.builds(
            a.SelectFinalists, first=hints, count=mostly(st.integers(1, 2), st.just(3)), stray=mostly(st.none(), hints)
        ),
        2,
    ),
    (
        st.builds(
            a.ChangeConsortium,
            team=hints,
            joined=members(2),
            left=members(1),
            lead_leaves=mostly(st.just(False), st.just(True)),
        ),
        1,
    ),
    (st.builds(r.OpenEvaluationRound, stage=mostly(st.integers(0, 2), st.just(3)), own_criteria=st.booleans()), 2),
    (
        st.builds(
            r.RegisterPanel,
            members=st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple),
            role=mostly(st.sampled_from(["chair", "member"]), st.just("king")),
        ),
        2,
    ),
    (st.builds(r.Excuse, member=st.integers(0, 4), team=hints, recusal=st.booleans()), 2),
    (
        st.builds(
            r.RecordOutcomes,
            first=hints,
            count=st.integers(1, 4),
            passed=st.lists(st.booleans(), max_size=4).map(tuple),
            score=points(60),
            panel=mostly(st.none(), members(2).map(lambda m: m or (0,))),
            then=st.integers(0, 2),
            back=mostly(st.just(0), st.just(1)),
        ),
        4,
    ),
    (st.builds(r.DecideRound, selected=mostly(hints, st.none()), votes=members(3)), 1),
    (st.builds(r.AdvanceProvisionally, team=hints, hours=mostly(st.integers(1, 96), st.just(0))), 2),
    (st.builds(r.SettleAdvancement, team=hints, confirm=st.booleans()), 2),
    (
        st.builds(
            e.ApplyToRound,
            team=hints,
            new=st.booleans(),
            lead=mostly(st.none(), st.integers(0, 4)),
            back=mostly(st.just(0), st.just(5)),
        ),
        3,
    ),
    (st.builds(e.StateOnRound, team=hints, kind=st.integers(0, 2), form=st.integers(0, 3)), 2),
    (st.builds(e.MoveRound, extend=st.booleans(), hours=st.integers(-96, 96)), 1),
    (st.just(e.OpenSelectionPanel()), 1),
    (st.builds(e.SelectApplicant, team=hints), 2),
    (st.builds(ra.DeclareKind, kind=st.integers(0, len(ra.KINDS) - 1)), 2),
    (
        st.builds(
            ra.GrantOnLine,
            team=hints,
            resource=hints,
            line=hints,
            quantity=st.integers(1, 600),
            months=st.sampled_from([6, 12]),
        ),
        3,
    ),
    (st.builds(ra.Exclude, team=hints, whole_class=st.booleans(), days=mostly(st.integers(0, 90), st.none())), 2),
    (st.builds(ra.Lift, team=hints, exclusion=mostly(st.just(1), st.just(2)), days=st.integers(-5, 30)), 3),
    (st.builds(ra.PoolStep, amount=st.integers(0, 500)), 3),
    (st.just(a.Retry()), 3),
    (st.builds(a.IssueKey, key=st.integers(0, 3), role=mostly(st.sampled_from(ROLES), st.just("owner"))), 1),
    (st.builds(a.RevokeKey, key=st.integers(0, 3)), 1),
]
# sampled_from draws its index evenly, where one_of would favour its first branches.
decisions = st.sampled_from([strategy for strategy, weight in WEIGHTED for _ in range(weight)]).flatmap(lambda s: s)


reasons = mostly(st.sampled_from(["심사 결과에 따른 결정", "Panel decision"]), st.just(""), odds=6)


def steps(attempt: st.SearchStrategy[a.Attempt]) -> st.SearchStrategy[a.Step]:
    return st.builds(
        a.Step,
        attempt=attempt,
        wait=mostly(st.integers(0, 90), st.integers(1440, 2880), odds=19),  # minutes; now and then days
        backdate=st.sampled_from([0, 0, 0, 1, 30, 90]),
        in_kst=st.booleans(),
        decomposed=st.booleans(),
        reason=reasons,
        key=mostly(st.none(), st.integers(0, 49), odds=2),
    )


def accepted(attempt: a.Attempt) -> a.Step:
    """A step the rules accept at the start of a run: no backdating, a minute after the last."""
    return a.Step(attempt, wait=1, backdate=0, in_kst=False, decomposed=False, reason="접수")


@st.composite
def runs(draw: st.DrawFn, max_decisions: int = 60) -> list[a.Step]:
    """Two to four applications and an open re-entry round, then generated decision attempts.

    The opening is accepted in every run, so no run is empty, and the round is open early
    enough for offers, answers and re-entry seats to be decided often.
    """
    teams = draw(st.lists(st.integers(0, len(a.TEAM_CODES) - 1), min_size=2, max_size=4, unique=True))
    round_ = a.OpenRound(stage=draw(st.integers(0, 1)), seats=2, eligibility=ELIGIBILITY, opened=0, hours=240)
    opening: list[a.Attempt] = [
        *(a.Apply(team, stage=0, lead=team, members=(team,), gpu_excluded=False) for team in teams),
        round_,
        ra.PoolStep(amount=400),  # opens the shared pool
        ra.PoolStep(amount=400),  # the programme's A100 line draws on it
        ra.Exclude(team=0, whole_class=False, days=None),  # until a generated ``Lift`` ends it
    ]
    return [accepted(attempt) for attempt in opening] + draw(
        st.lists(steps(decisions), min_size=max_decisions // 3, max_size=max_decisions)
    )
