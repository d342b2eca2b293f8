"""The web view's reading aids over HTTP: one row per decision, pages, time zones by name, Korean marked as
Korean, chart figures as text, a skip link and a favicon."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.web import timeline
from tests.e2e.test_web import PAGE, anonymous, auditor, recorded, section, signed_in, text

__all__ = ["anonymous", "auditor", "recorded", "signed_in"]  # fixtures shared with test_web

HANGUL = re.compile(r"[\uac00-\ud7af]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class LanguageOfText(HTMLParser):
    """Every text node with the language it inherits from its nearest ``lang`` attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(dict(attrs).get("lang") or (self.stack[-1] if self.stack else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((data.strip(), self.stack[-1] if self.stack else ""))


def korean_not_marked(page: str) -> list[str]:
    parser = LanguageOfText()
    parser.feed(page)
    return [words for words, lang in parser.texts if HANGUL.search(words) and lang != "ko"]


def test_every_korean_text_is_marked_korean_on_every_page(
    signed_in: TestClient, anonymous: TestClient, recorded: None
) -> None:
    pages = [
        signed_in.get("/ui").text,
        signed_in.get(PAGE).text,
        signed_in.get(PAGE, params={"as_of": "2026-02-10T00:00", "tz": "Asia/Seoul"}).text,
        signed_in.get(PAGE, params={"after": "59"}).text,
        signed_in.get("/ui/programs/NOPE").text,
    ]
    for page in pages:
        assert '<html lang="en">' in page
        assert korean_not_marked(page) == []
    assert all(HANGUL.search(page) for page in pages[:4])  # there is Korean to mark


def timeline_pages(client: TestClient) -> list[str]:
    """Every page of the programme's timeline, first to last."""
    pages = [section(client.get(PAGE).text, "timeline")]
    while later := re.search(r'href="\?([^"]+)#timeline" rel="next"', pages[-1]):
        pages.append(section(client.get(f"{PAGE}?{later[1].replace('&amp;', '&')}").text, "timeline"))
    return pages


def test_each_decision_is_one_row_with_its_consequences_inside(signed_in: TestClient, recorded: None) -> None:
    pages = timeline_pages(signed_in)
    rows = [row for page in pages for row in re.findall(r'<tr class="event".*?</tr>', page, re.S)]
    decisions = [re.search(r'class="type">(\w+)<', row)[1] for row in rows]  # type: ignore[index]
    assert "SeatTaken" not in decisions and "FundsCommitted" not in decisions  # on no page
    advanced = next(row for row in rows if 'class="type">TeamAdvanced<' in row and "Passed stage 1" in row)
    assert "+ SeatTaken" in text(advanced)  # an advance decided on its own
    # and each of a round's five provisional selections, whose seats the round saves after all its outcomes
    selected = [row for row in rows if 'class="type">AdvancementProvisional<' in row]
    assert len(selected) == 5 and all("+ SeatTaken" in text(row) for row in selected)
    granted = next(row for row in rows if 'class="type">FundingGranted<' in row)
    assert "+ FundsCommitted" in text(granted)


def test_a_new_kind_of_decision_folds_its_consequences_without_a_list_of_pairs() -> None:
    stamp = {"recorded_at": "t", "effective_at": "e", "actor": "a", "reason": "r", "correlation_id": "c"}
    events: list[dict[str, Any]] = [
        {**stamp, "position": 1, "event_type": "PanelConvened", "team_code": "A", "originator_id": "team-a"},
        {**stamp, "position": 2, "event_type": "PanelSeatBooked", "team_code": "A", "originator_id": "programme"},
        {**stamp, "position": 3, "event_type": "PanelConvened", "team_code": "A", "originator_id": "team-a"},
        {**stamp, "position": 4, "event_type": "PanelConvened", "team_code": "B", "originator_id": "team-b"},
        {**stamp, "position": 5, "event_type": "BudgetIncreased", "team_code": None, "originator_id": "programme"},
        {**stamp, "position": 7, "event_type": "PanelSeatBooked", "team_code": "B", "originator_id": "programme"},
    ]
    rows = timeline.decisions(events)
    assert [row.positions for row in rows] == [[1, 2], [3], [4], [5], [7]]


def test_long_timelines_are_paged_without_splitting_a_decision(signed_in: TestClient, recorded: None) -> None:
    shown = section(signed_in.get(PAGE).text, "timeline")
    pages = 1
    while later := re.search(r'href="\?([^"]+)#timeline" rel="next"', shown):
        assert "after=" in later[1]
        following = section(signed_in.get(f"{PAGE}?{later[1].replace('&amp;', '&')}").text, "timeline")
        assert 'id="timeline-first"' in following
        last_shown = int(re.findall(r'data-positions="[\d ]*?(\d+)"', shown)[-1])
        assert int(re.findall(r'data-positions="(\d+)', following)[0]) == last_shown + 1
        shown, pages = following, pages + 1
    assert pages >= 2  # the demo's timeline is longer than a page; the last page offers no later one


@pytest.mark.parametrize(("tz", "label"), [("Asia/Seoul", "Asia/Seoul (KST)"), ("+09:00", "UTC+09:00 (KST)")])
def test_time_zones_are_accepted_by_name_or_offset(signed_in: TestClient, recorded: None, tz: str, label: str) -> None:
    page = signed_in.get(PAGE, params={"tz": tz})
    assert page.status_code == 200
    assert f"opened 2025-07-21 10:00 ({label})" in text(page.text)  # 01:00 UTC is 10:00 in Seoul
    assert f'<option value="{tz}" selected>' in section(page.text, "when")


def test_a_zone_offered_by_no_option_is_still_shown_as_chosen(signed_in: TestClient, recorded: None) -> None:
    page = signed_in.get(PAGE, params={"tz": "America/New_York", "as_of": "2026-02-17T20:00"})
    assert page.status_code == 200
    assert '<option value="America/New_York" selected>America/New_York</option>' in page.text
    assert "2026-02-17 20:00 (America/New_York)" in text(section(page.text, "when"))
    assert signed_in.get(PAGE, params={"tz": "Asia/Nowhere"}).status_code == 422


def test_every_time_on_the_page_is_shown_alike(signed_in: TestClient, recorded: None) -> None:
    page = signed_in.get(PAGE).text
    for name in ("checkpoint", "timeline", "when"):
        words = text(section(page, name))
        assert not re.search(r"\d\d:\d\d:\d\d", words), name  # no seconds, no microseconds, no raw ISO
        assert not re.search(r"\d{4}-\d\d-\d\dT", words), name
    assert re.search(r"signed \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)", text(section(page, "checkpoint")))
    listing = text(signed_in.get("/ui").text)
    assert "2025-07-21 01:00 (UTC)" in listing


def test_each_chart_has_its_figures_as_a_table(signed_in: TestClient, recorded: None) -> None:
    funding = section(signed_in.get(PAGE).text, "funding")
    charts = re.findall(r'<figure class="chart">.*?</figure>', funding, re.S)
    assert len(charts) == 4
    for chart in charts:
        bars = re.findall(r'<g class="bar" data-team="(\w+)"', chart)
        rows = re.findall(r'<tr data-team="(\w+)"><th scope="row">', chart)
        assert bars and rows == bars
        assert 'aria-hidden="true"' in chart  # the drawing repeats the table for sighted readers
    h100 = next(c for c in charts if "<strong>gpu:H100</strong>" in c)
    nuri = re.search(r'<tr data-team="NURI">.*?</tr>', h100, re.S)
    assert nuri and re.findall(r'class="num">([\d,]+)<', nuri[0])[1] == "1,024"  # returned


def test_a_skip_link_leads_to_the_content_and_the_icon_is_served(signed_in: TestClient, recorded: None) -> None:
    page = signed_in.get(PAGE).text
    assert re.search(r'<body>\s*<a class="skip" href="#main">', page) and '<main id="main"' in page
    assert '<link rel="icon" href="/ui/favicon.svg"' in page
    for path in ("/ui/favicon.svg", "/favicon.ico"):
        icon = signed_in.get(path)
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert icon.text.startswith("<svg")


def test_names_wrap_at_their_colons_not_inside_words(signed_in: TestClient, recorded: None) -> None:
    timeline_html = section(signed_in.get(PAGE).text, "timeline")
    assert 'class="actor">official:<wbr>msit-ai-policy<' in timeline_html
