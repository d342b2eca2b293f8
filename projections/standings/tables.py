"""The standings read model's tables: what each row holds and the columns that identify it."""

from __future__ import annotations

from projections.rows import Table

NAME = "standings"
PROGRAMS = Table(
    "standings_programs",
    (
        "program_code TEXT",
        "title_ko TEXT NOT NULL",
        "title_en TEXT NOT NULL",
        "agency TEXT NOT NULL",
        "opened_at TEXT NOT NULL",
        "finalist_count INTEGER NOT NULL",
        "finalists TEXT NOT NULL",
        "version INTEGER NOT NULL",
        "rules_version INTEGER NOT NULL",
        "announced INTEGER NOT NULL",
    ),
    ("program_code",),
)
STAGES = Table(
    "standings_stages",
    (
        "program_code TEXT",
        "stage INTEGER",
        "name TEXT NOT NULL",
        "seats INTEGER NOT NULL",
        "criteria TEXT NOT NULL",
        "gates TEXT NOT NULL",
    ),
    ("program_code", "stage"),
)
TEAMS = Table(
    "standings_teams",
    (
        "program_code TEXT",
        "team_code TEXT",
        "name_ko TEXT NOT NULL",
        "name_en TEXT NOT NULL",
        "lead_organisation TEXT NOT NULL",
        "members TEXT NOT NULL",
        "status TEXT NOT NULL",
        "stage INTEGER NOT NULL",
        "applied_at TEXT NOT NULL",
        "reentrant INTEGER NOT NULL",
        "finalist INTEGER NOT NULL",
        "elimination_reason TEXT",
        "elimination_detail TEXT",
        "objection_deadline TEXT",
        "elimination_upheld INTEGER",
        "version INTEGER NOT NULL",
        "rules_version INTEGER NOT NULL",
        "sources TEXT NOT NULL",
    ),
    ("program_code", "team_code"),
)
ENTRIES = Table(
    "standings_entries",
    ("program_code TEXT", "stage INTEGER", "team_code TEXT", "outcome TEXT NOT NULL"),
    ("program_code", "stage", "team_code"),
)
SCORES = Table(
    "standings_scores",
    (
        "program_code TEXT",
        "team_code TEXT",
        "stage INTEGER",
        "evaluation INTEGER NOT NULL",
        "scores TEXT NOT NULL",
        "gates TEXT NOT NULL",
        "total TEXT NOT NULL",
        "passed INTEGER NOT NULL",
        "amended INTEGER NOT NULL",
        "rules_version INTEGER NOT NULL",
    ),
    ("program_code", "team_code", "stage"),
)
ROUNDS = Table(
    "standings_rounds",
    (
        "program_code TEXT",
        "round INTEGER",
        "stage INTEGER NOT NULL",
        "seats INTEGER NOT NULL",
        "filled INTEGER NOT NULL",
        "eligibility TEXT NOT NULL",
        "opens_at TEXT NOT NULL",
        "closes_at TEXT NOT NULL",
        "first_closes_at TEXT NOT NULL",
        "change TEXT NOT NULL",
        "change_reason TEXT NOT NULL",
    ),
    ("program_code", "round"),
)
# A team's application to a re-entry round, with the consortium it applied with, and what became of it.
ROUND_APPLICATIONS = Table(
    "standings_round_applications",
    (
        "program_code TEXT",
        "round INTEGER",
        "team_code TEXT",
        "lead_organisation TEXT NOT NULL",
        "members TEXT NOT NULL",
        "applied_at TEXT NOT NULL",
        "state TEXT NOT NULL",
    ),
    ("program_code", "round", "team_code"),
)
# What a team said about a re-entry round without an offer, in which form, with its words and sources.
STATEMENTS = Table(
    "standings_statements",
    (
        "program_code TEXT",
        "team_code TEXT",
        "statement INTEGER",
        "round INTEGER NOT NULL",
        "kind TEXT NOT NULL",
        "form TEXT NOT NULL",
        "words TEXT NOT NULL",
        "sources TEXT NOT NULL",
        "effective_at TEXT NOT NULL",
    ),
    ("program_code", "team_code", "statement"),
)
OFFERS = Table(
    "standings_offers",
    (
        "program_code TEXT",
        "team_code TEXT",
        "offer INTEGER",
        "round INTEGER NOT NULL",
        "stage INTEGER NOT NULL",
        "deadline TEXT NOT NULL",
        "answer TEXT",
    ),
    ("program_code", "team_code", "offer"),
)
CALLS = Table(
    "standings_calls",
    (
        "program_code TEXT",
        "stage INTEGER",
        "opens_at TEXT NOT NULL",
        "closes_at TEXT NOT NULL",
        "first_closes_at TEXT NOT NULL",
        "change TEXT NOT NULL",
        "change_reason TEXT NOT NULL",
    ),
    ("program_code", "stage"),
)
EVALUATION_ROUNDS = Table(
    "standings_evaluation_rounds",
    (
        "program_code TEXT",
        "round INTEGER",
        "stage INTEGER NOT NULL",
        "title TEXT NOT NULL",
        "criteria TEXT NOT NULL",
        "gates TEXT NOT NULL",
        "opened_at TEXT NOT NULL",
        "reentry_round INTEGER",
        "decision TEXT",
        "version INTEGER NOT NULL",
    ),
    ("program_code", "round"),
)
PANEL = Table(
    "standings_panel",
    ("program_code TEXT", "round INTEGER", "member TEXT", "role TEXT NOT NULL"),
    ("program_code", "round", "member"),
)
# A panel member's declared conflict with a team, or recusal from it, with the reason.
EXCUSES = Table(
    "standings_excuses",
    (
        "program_code TEXT",
        "round INTEGER",
        "member TEXT",
        "team_code TEXT",
        "kind TEXT NOT NULL",
        "reason TEXT NOT NULL",
        "effective_at TEXT NOT NULL",
    ),
    ("program_code", "round", "member", "team_code"),
)
OUTCOMES = Table(
    "standings_outcomes",
    (
        "program_code TEXT",
        "team_code TEXT",
        "round INTEGER",
        "stage INTEGER NOT NULL",
        "result TEXT",
        "scores TEXT NOT NULL",
        "gates TEXT NOT NULL",
        "rank INTEGER",
        "panel TEXT NOT NULL",
        "recusals TEXT NOT NULL",
        "effective_at TEXT NOT NULL",
    ),
    ("program_code", "team_code", "round"),
)
# A team's latest advancement made subject to objection, and what became of it.
ADVANCEMENTS = Table(
    "standings_advancements",
    (
        "program_code TEXT",
        "team_code TEXT",
        "stage INTEGER NOT NULL",
        "objection_deadline TEXT NOT NULL",
        "state TEXT NOT NULL",
    ),
    ("program_code", "team_code"),
)
# One row per programme event: when it took effect and was recorded, so a past moment can be
# turned into the log position whose rows show it (``projections.as_of``).
MOMENTS = Table(
    "standings_moments",
    ("program_code TEXT", "position BIGINT", "effective_at TEXT NOT NULL", "recorded_at TEXT NOT NULL"),
    ("program_code", "position"),
    versioned=False,
    indexes=(
        "standings_moments_effective ON (program_code, effective_at, position)",
        "standings_moments_recorded ON (program_code, recorded_at, position)",
    ),
)
ALL = (
    PROGRAMS,
    STAGES,
    TEAMS,
    ENTRIES,
    SCORES,
    ROUNDS,
    ROUND_APPLICATIONS,
    STATEMENTS,
    OFFERS,
    CALLS,
    EVALUATION_ROUNDS,
    PANEL,
    EXCUSES,
    OUTCOMES,
    ADVANCEMENTS,
    MOMENTS,
)
TABLES = tuple(t.name for t in ALL)
