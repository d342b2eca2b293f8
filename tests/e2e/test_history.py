"""History over HTTP: filters by team, type, effective and recorded time, and cursor paging.

The expected rows are taken from the write responses (each names its events and
their positions), never from the history itself, so a filter that drops or adds a
row fails. Paging must return every event exactly once, in log order, and end with
``next_cursor: null``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import Api, P


@dataclass(frozen=True)
class Logged:
    position: int
    type: str
    team: str | None
    effective_at: str
    recorded_at: str


class Story:
    """Decisions recorded over four days of server time, remembering what each response said."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.log: list[Logged] = []

    def note(self, body: dict[str, Any], team: str | None = None) -> None:
        self.log += [
            Logged(e["position"], e["type"], team, e["effective_at"], e["recorded_at"]) for e in body["events"]
        ]

    def tell(self) -> Story:
        api = self.api
        self.note(api.open_program())
        for day, team in ((10, "A"), (11, "B"), (12, "C")):  # back-dated applications, recorded on 5 January
            self.note(api.apply(team, effective_at=f"2025-12-{day}T10:00:00+00:00"), team)
        api.clock.advance(days=1)
        for team in ("A", "B", "C"):
            self.note(api.advance(team, 0), team)
        api.clock.advance(days=1)
        self.note(api.grant("A"), "A")
        self.note(api.evaluate("A"), "A")
        self.note(api.evaluate("B"), "B")
        api.clock.advance(days=1)
        self.note(api.eliminate("C", deadline="2026-01-20T00:00:00+00:00"), "C")
        return self

    def positions(self, keep: Any = lambda e: True) -> list[int]:
        return [e.position for e in self.log if keep(e)]


@pytest.fixture
def story(api: Api) -> Story:
    return Story(api).tell()


def read_all(api: Api, path: str = f"/programs/{P}/history", **params: Any) -> list[list[int]]:
    """Follow the cursor to the end; the positions of each page."""
    pages: list[list[int]] = []
    cursor = 0
    while True:
        page = api.get(path, cursor=cursor, **params)
        pages.append([e["position"] for e in page["events"]])
        if page["next_cursor"] is None:
            return pages
        assert page["next_cursor"] == pages[-1][-1]
        cursor = page["next_cursor"]


def test_the_story_is_what_the_history_holds(api: Api, story: Story) -> None:
    assert len(story.log) == 16
    assert [(e["position"], e["event_type"], e["team_code"]) for e in api.history()] == [
        (e.position, e.type, e.team) for e in story.log
    ]


def test_paging_returns_every_event_once_in_log_order(api: Api, story: Story) -> None:
    for limit in (1, 3, 8, 16, 100):
        pages = read_all(api, limit=limit)
        assert [p for page in pages for p in page] == story.positions()
        assert len(pages) == max(1, -(-len(story.log) // limit))  # no empty trailing page
        assert all(len(page) == limit for page in pages[:-1])


def test_a_decision_recorded_between_pages_appears_once_at_the_end(api: Api, story: Story) -> None:
    first = api.get(f"/programs/{P}/history", limit=5)  # then carry on from its cursor
    late = api.apply("D")["events"][0]["position"]
    seen = [e["position"] for e in first["events"]]
    cursor = first["next_cursor"]
    while cursor is not None:
        page = api.get(f"/programs/{P}/history", limit=5, cursor=cursor)
        seen += [e["position"] for e in page["events"]]
        cursor = page["next_cursor"]
    assert seen == [*story.positions(), late]


def test_filter_by_team(api: Api, story: Story) -> None:
    for team in ("A", "C"):
        events = api.history(team=team)
        assert [e["position"] for e in events] == story.positions(lambda e, t=team: e.team == t)
        assert {e["team_code"] for e in events} == {team}
    assert "SeatTaken" in {e["event_type"] for e in api.history(team="A")}  # programme events about the team count
    assert api.history(team="NOBODY") == []


def test_filter_by_type(api: Api, story: Story) -> None:
    wanted = {"TeamAdvanced", "SeatReleased"}
    events = api.history(type=sorted(wanted))
    assert [e["position"] for e in events] == story.positions(lambda e: e.type in wanted)
    assert len(events) == 4
    assert api.history(type="NoSuchEvent") == []


def test_filter_by_effective_time(api: Api, story: Story) -> None:
    # 11 December, 00:00 UTC, written in Korean time: bounds are compared as instants, not as text
    events = api.history(effective_from="2025-12-11T09:00:00+09:00", effective_to="2025-12-12T10:00:00+00:00")
    assert [(e["event_type"], e["team_code"]) for e in events] == [
        ("ApplicationSubmitted", "B"),
        ("ApplicationSubmitted", "C"),
    ]
    later = api.history(effective_from="2026-01-07T09:00:00+00:00")
    assert [e["position"] for e in later] == story.positions(lambda e: e.effective_at >= "2026-01-07T09:00:00")


def test_filter_by_recorded_time(api: Api, story: Story) -> None:
    day2 = api.history(recorded_from="2026-01-06T00:00:00+00:00", recorded_to="2026-01-06T09:00:00+00:00")
    assert [e["position"] for e in day2] == story.positions(lambda e: e.recorded_at.startswith("2026-01-06"))
    assert {e["event_type"] for e in day2} == {"TeamAdvanced", "SeatTaken"}
    # the back-dated applications took effect in December but were recorded on the first day
    first_day = api.history(recorded_to="2026-01-05T09:00:00+00:00", type="ApplicationSubmitted")
    assert [e["team_code"] for e in first_day] == ["A", "B", "C"]
    assert api.history(recorded_from="2026-01-09T00:00:00+00:00") == []


def test_filters_and_paging_combine(api: Api, story: Story) -> None:
    pages = read_all(api, team="A", type=["TeamAdvanced", "SeatTaken", "FundingGranted"], limit=2)
    expected = story.positions(lambda e: e.team == "A" and e.type in {"TeamAdvanced", "SeatTaken", "FundingGranted"})
    assert [p for page in pages for p in page] == expected
    assert [len(page) for page in pages] == [2, 1]


def test_the_global_history_pages_across_programmes(api: Api, story: Story) -> None:
    other = api.ok(
        "/programs",
        {
            "program_code": "OTHER",
            "title_ko": "다른",
            "title_en": "Other",
            "agency": "MSIT",
            "stages": [{"name": "Only", "seats": 1}],
            "finalist_count": 1,
        },
    )
    pages = read_all(api, path="/history", limit=4)
    assert [p for page in pages for p in page] == [*story.positions(), other["position"]]
    assert [e["position"] for e in api.history()] == story.positions()  # the programme's own history is unchanged


def test_the_csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(api: Api) -> None:
    api.open_program()
    leads = ['=HYPERLINK("http://x.example")', "+1+1", "-2+3", "@SUM(A1)", "\tindented", "\rreturned"]
    for i, reason in enumerate(leads):
        api.apply(f"T{i}")
        body = {"reason_code": "below_cutoff", "objection_deadline": "2026-01-15T00:00:00+00:00", "reason": reason}
        response = api.post(f"/programs/{P}/teams/T{i}/eliminations", body)
        assert response.status_code in (201, 422), response.text
    export = api.client.get(f"/programs/{P}/history/export", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(export)))
    reasons = [row["reason"] for row in rows if row["event_type"].endswith("Eliminated")]
    assert reasons, export
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)
    assert '\'=HYPERLINK("http://x.example")' in reasons
