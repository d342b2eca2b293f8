"""The demo's re-entry call for the empty stage-2 seat: an open call with statements, one direct invitation,
a moved deadline, two applications and the panel's choice (``api.demo`` tells the rest)."""

from __future__ import annotations

from api.demo_teams import PROGRAM, RE_ENTRANT, at, ctx
from domain.commands import (
    ApplyToRound,
    DecideRound,
    DeclineOffer,
    ExtendReEntryRound,
    OfferReEntry,
    OpenEvaluationRound,
    OpenReEntryRound,
    PanelSeat,
    RecordRoundOutcomes,
    RegisterPanel,
    StateOnRound,
    TeamOutcome,
)
from domain.registry import Context, Registry
from domain.values import Source


def open_round(r: Registry) -> None:
    r.open_reentry_round(
        ctx("2026-02-02", "Open call for the empty stage-2 seat", notice="MSIT-AI-2026-01"),
        OpenReEntryRound(
            program_code=PROGRAM,
            stage=1,
            seats=1,
            eligibility=["eliminated", "applicants", "new_entrants"],
            opens_at=at("2026-02-02", 9),
            closes_at=at("2026-02-13", 18),
        ),
    )


def declines(r: Registry) -> None:
    """Two teams say publicly they will not apply, with no offer made; one is invited directly and declines."""
    for team, day, form, url in (
        ("GAON", "2026-02-03", "public_statement", "https://news.example/gaon-roadmap"),
        ("SORI", "2026-02-04", "press_report", "https://news.example/sori-not-applying"),
    ):
        r.state_on_round(
            Context(
                actor=f"team:{team}",
                effective_at=at(day),
                reason="We will continue with our own roadmap",
                correlation_id=f"demo-{day}",
                sources=(Source.make(url=url, title=f"{team} will not apply"),),
            ),
            StateOnRound(program_code=PROGRAM, team_code=team, round_number=1, kind="declined", form=form),
        )
    r.offer_reentry(
        ctx("2026-02-03", "Invited directly to the re-entry round"),
        OfferReEntry(program_code=PROGRAM, team_code="DAON", round_number=1, deadline=at("2026-02-10", 18)),
    )
    r.decline_offer(
        ctx("2026-02-05", "We decline the invitation", actor="team:DAON"),
        DeclineOffer(program_code=PROGRAM, team_code="DAON", offer=1),
    )
    r.state_on_round(
        ctx("2026-02-05", "We intend to apply with new partners", actor="team:NURI"),
        StateOnRound(
            program_code=PROGRAM, team_code="NURI", round_number=1, kind="intends_to_apply", form="press_report"
        ),
    )


def applications(r: Registry) -> None:
    r.extend_reentry_round(
        ctx("2026-02-11", "Deadline extended at applicants' request", notice="MSIT-AI-2026-02"),
        ExtendReEntryRound(program_code=PROGRAM, round_number=1, closes_at=at("2026-02-16", 18)),
    )
    r.apply_to_round(
        ctx("2026-02-12", "Re-entry application with a new consortium", actor="team:NURI"),
        ApplyToRound(
            program_code=PROGRAM,
            team_code="NURI",
            round_number=1,
            lead_organisation="Nuri Holdings",
            members=["Korea University", "Haedal Semiconductor"],
        ),
    )
    r.apply_to_round(
        ctx("2026-02-16", "New entrant application", actor=f"team:{RE_ENTRANT}"),
        ApplyToRound(
            program_code=PROGRAM,
            team_code=RE_ENTRANT,
            round_number=1,
            name_ko="화랑 AI 연합",
            name_en="Hwarang AI Alliance",
            lead_organisation="Hwarang Labs",
            members=["Pusan National University", "Kyungpook National University"],
        ),
    )


def choose(r: Registry) -> None:
    """The panel judges both applicants on the stage's criteria and chooses the new entrant by majority."""
    number = r.open_evaluation_round(
        ctx("2026-02-17", "Re-entry evaluation on the stage-1 criteria"),
        OpenEvaluationRound(program_code=PROGRAM, stage=1, title="Re-entry evaluation", reentry_round=1),
    ).result
    panel = [("Panel chair", "chair"), ("Prof. Lim", "member"), ("Dr. Seo", "member")]
    r.register_panel(
        ctx("2026-02-17", "Re-entry panel"),
        RegisterPanel(
            program_code=PROGRAM, round_number=number, members=[PanelSeat(member=m, role=x) for m, x in panel]
        ),
    )
    r.record_round_outcomes(
        ctx("2026-02-18", "Results notice", notice="MSIT-AI-2026-03"),
        RecordRoundOutcomes(
            program_code=PROGRAM,
            round_number=number,
            outcomes=[
                TeamOutcome(team_code=RE_ENTRANT, result="pass", rank=1),
                TeamOutcome(team_code="NURI", result="fail", rank=2),
            ],
        ),
    )
    r.decide_round(
        ctx("2026-02-18", "Chosen by panel majority", notice="MSIT-AI-2026-03"),
        DecideRound(
            program_code=PROGRAM,
            round_number=number,
            selected=[RE_ENTRANT],
            votes={"Panel chair": "for", "Prof. Lim": "for", "Dr. Seo": "against"},
        ),
    )
