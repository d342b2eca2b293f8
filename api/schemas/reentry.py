"""Request and response schemas of re-entry rounds as open calls: windows moved, applications, statements."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.decisions import Decision, reason_required
from api.schemas.reads import RoundView
from api.schemas.values import TEXT_PATTERN, Code, Members, Moment, Name


class MoveRoundRequest(Decision):
    model_config = ConfigDict(extra="forbid", json_schema_extra=reason_required)

    closes_at: Moment = Field(description="The round's new closing time (the reason is required)")


class ApplyToRoundRequest(Decision):
    team_code: Code
    lead_organisation: Name | None = Field(None, description="The consortium's lead; default: the team's current one")
    members: Members | None = Field(None, description="The consortium's members; default: the team's current ones")
    name_ko: Name | None = Field(None, description="A new entrant's Korean name (a team new to the programme)")
    name_en: Name | None = Field(None, description="A new entrant's English name (a team new to the programme)")
    contact: str = Field(
        "",
        max_length=200,
        description="Where a new entrant receives notices",
        json_schema_extra={"pattern": TEXT_PATTERN},
    )


class StatementRequest(Decision):
    model_config = ConfigDict(extra="forbid", json_schema_extra=reason_required)

    team_code: Code
    kind: Literal["declined", "intends_to_apply", "withdrew_application"]
    form: Literal["formal_letter", "public_statement", "press_report"]


class ReEntryRoundResponse(RoundView):
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
