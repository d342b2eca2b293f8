"""Team statuses: one enum in the domain, and the same names in the schema the API serves."""

from __future__ import annotations

from typing import get_args

from api.schemas.reads import TeamStatusName
from domain.candidacy import TeamStatus


def test_the_served_schema_names_exactly_the_domain_statuses() -> None:
    assert get_args(TeamStatusName) == tuple(TeamStatus)


def test_a_status_is_its_stored_name() -> None:
    assert [str(s) for s in TeamStatus] == ["applied", "active", "eliminated", "withdrawn"]
    assert f"{TeamStatus.ELIMINATED}" == "eliminated"  # error messages name the status, not the member
