"""The web view and the API documentation in Chromium: accessibility (axe-core, WCAG 2.1 A and AA) on every
page, and what axe does not check — Korean marked as Korean, a skip link, 3:1 borders on controls, names that
wrap between words — plus the timeline's folded rows and pages, time zones by name, the favicon, no sideways
scrolling at a phone's width, and /docs served offline and authorised with a key.

axe-core is vendored (``tests/e2e/vendor/axe-core``, version and checksums in its README) and injected into
each page; any violation of a ``wcag2a``, ``wcag2aa``, ``wcag21a`` or ``wcag21aa`` rule fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api import demo
from tests.e2e.test_browser import PHONE_WIDTH, Served, base_url, browser_type_launch_args, served, sign_in

__all__ = ["base_url", "browser_type_launch_args", "served"]  # fixtures shared with test_browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PROGRAMME = f"/ui/programs/{demo.PROGRAM}"
PAGES = {
    "programmes": "/ui",
    "programme": PROGRAMME,
    "programme as of a date in Seoul": f"{PROGRAMME}?as_of=2026-02-10T00%3A00&tz=Asia%2FSeoul",
    "programme as known at a date": f"{PROGRAMME}?known_at=2026-01-01T00%3A00",
    "timeline, second page": f"{PROGRAMME}?after=59",
    "unknown programme": "/ui/programs/NOPE",
}

# The contrast ratio of WCAG 2.1 (relative luminance of sRGB colours), run in the page.
CONTRAST = """([a, b]) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}"""

# Every text node with Hangul whose nearest lang attribute is not "ko".
UNMARKED_KOREAN = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const lang = node.parentElement.closest('[lang]').getAttribute('lang');
    if (/[\\uac00-\\ud7af]/.test(node.textContent) && lang !== 'ko') found.push(node.textContent.trim());
  }
  return found;
}"""

# Words of the "Who" cells (split at ":" and "-") that the layout broke across lines.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.timeline .actor')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (const match of node.textContent.matchAll(/[^:\\-\\s]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """axe-core is injected as a script, which the pages' Content-Security-Policy rightly refuses: bypass it here
    (test_browser checks the policy itself and that the pages work under it)."""
    return {**browser_context_args, "bypass_csp": True}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations", WCAG_21_AA
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found]


def test_every_page_passes_axe_and_marks_its_korean_text(page: Page, served: Served) -> None:
    page.goto(served.url + "/ui")
    assert axe_violations(page) == [], "login page"
    assert page.evaluate(UNMARKED_KOREAN) == []
    sign_in(page, served)
    for name, path in PAGES.items():
        page.goto(served.url + path)
        assert axe_violations(page) == [], name
        assert page.evaluate(UNMARKED_KOREAN) == [], name
    page.goto(served.url + PROGRAMME)
    page.locator("#funding details.figures").first.locator("summary").click()  # opened, the table is checked too
    assert axe_violations(page) == [], "programme with a chart's figures open"


def test_a_skip_link_is_the_first_stop_and_leads_to_the_content(page: Page, served: Served) -> None:
    sign_in(page, served)
    page.goto(served.url + PROGRAMME)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_focusable_controls_have_borders_of_at_least_3_to_1(page: Page, served: Served) -> None:
    sign_in(page, served)
    page.goto(served.url + PROGRAMME)
    for selector in ("#as_of", "#known_at", "#tz"):
        border, background = page.locator(selector).evaluate(
            "(e) => [getComputedStyle(e).borderTopColor, getComputedStyle(e.closest('section')).backgroundColor]"
        )
        assert page.evaluate(CONTRAST, [border, background]) >= 3, selector
    page.locator("#tz").focus()
    outline = page.locator("#tz").evaluate(
        "(e) => [getComputedStyle(e).outlineColor, getComputedStyle(e).outlineStyle]"
    )
    assert outline[1] != "none" and page.evaluate(CONTRAST, [outline[0], "rgb(255, 255, 255)"]) >= 3


def test_the_timeline_tells_each_decision_once_and_pages(page: Page, served: Served) -> None:
    sign_in(page, served)
    page.goto(served.url + PROGRAMME)
    rows = page.locator("#timeline tr.event")
    assert "SeatTaken" not in rows.locator(".type").all_inner_texts()
    last = int(rows.last.get_attribute("data-positions").split()[-1])  # type: ignore[union-attr]
    page.click("#timeline-next")
    expect(page.locator("#timeline-first")).to_be_visible()
    assert int(page.locator("#timeline tr.event").first.get_attribute("data-position") or 0) == last + 1
    granted = rows.filter(has=page.locator(".type", has_text="FundingGranted")).first
    expect(granted.locator(".consequence")).to_contain_text("+ FundsCommitted")
    page.click("#timeline-next")  # the demo's timeline takes three pages
    chosen = rows.filter(has=page.locator(".type", has_text="ReEntrySelected")).first
    expect(chosen.locator(".consequence")).to_contain_text("+ SeatTaken")
    expect(page.locator("#timeline")).to_contain_text("Chosen by panel majority")
    assert page.evaluate(BROKEN_WORDS) == []


def test_a_time_zone_is_chosen_by_name_and_every_time_follows_it(page: Page, served: Served) -> None:
    sign_in(page, served)
    page.goto(served.url + PROGRAMME)
    page.select_option("#tz", "Asia/Seoul")
    page.click("#when button[type=submit]")
    expect(page).to_have_url(re.compile(r"tz=Asia%2FSeoul"))
    expect(page.locator(".meta")).to_contain_text("opened 2025-07-21 10:00 (Asia/Seoul (KST))")
    expect(page.locator("#checkpoint")).to_contain_text("(Asia/Seoul (KST)) with key")
    icon = page.request.get(served.url + (page.locator("link[rel=icon]").get_attribute("href") or ""))
    assert icon.ok and icon.headers["content-type"] == "image/svg+xml"


def test_every_page_fits_a_phone_without_sideways_scrolling(page: Page, served: Served, tmp_path: Path) -> None:
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    sign_in(page, served)
    for name, path in PAGES.items():
        page.goto(served.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH + 1, f"{name} is {width}px wide at {PHONE_WIDTH}px"
        assert page.evaluate(BROKEN_WORDS) == [], name
    page.goto(served.url + PROGRAMME)
    shot = tmp_path / "programme-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_the_docs_are_served_offline_list_the_operations_and_authorise_with_a_key(page: Page, served: Served) -> None:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(served.url) else outside.append(r.url))
    page.goto(served.url + "/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=15_000)
    assert operations.count() >= 30
    expect(
        page.locator(".opblock-summary-path", has_text="/programs/{program}/teams/{team}/advancements")
    ).to_have_count(1)
    page.click("button.authorize")
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(served.key)
    dialog.locator("button.authorize").first.click()
    dialog.locator("button.btn-done").first.click()
    listing = page.locator("#operations-programmes-list_programs_programs_get")
    listing.locator(".opblock-summary").click()
    listing.locator("button.try-out__btn").click()
    listing.locator("button.execute").click()
    response = listing.locator(".live-responses-table .response .response-col_status").first
    expect(response).to_have_text("200", timeout=15_000)
    expect(listing.locator(".live-responses-table .microlight").first).to_contain_text(demo.PROGRAM)
    assert outside == []
