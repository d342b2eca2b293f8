"""The web view in a real browser: Debian's Chromium, driven by Playwright, against a real server.

The app is served by uvicorn on a free loopback port over an SQLite store holding
the demo programme. The browser signs in with an auditor's key, reads the
programme page (with the funding's equivalent units, grant periods, exclusions
and the fairness computation, opened), moves the date picker to before the
re-entrant accepted and sees the vacant seat, and renders the page at a phone's width without sideways
scrolling. Screenshots are saved under the test's ``tmp_path``.

Chromium comes from the system (``apt-get install chromium``, done by ``.ci/run``);
``playwright install`` is never used. Without the binary this test fails, it does not skip.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from api import demo
from api.app import create_app
from api.bootstrap import Services, build
from api.keys import create_key
from api.settings import Settings
from tests.conftest import Clock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE_WIDTH = 375


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system's Chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL: pages are opened by absolute URL. (Replaces pytest-playwright's fallback
    fixture, a method on a plugin class that pytest 9 warns about, and warnings are errors here.)"""
    return None


@dataclass(frozen=True)
class Served:
    url: str
    key: str
    services: Services


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app over an SQLite store with the demo recorded, served by uvicorn in a thread.

    One server for the module: the tests only read (signing in records nothing).
    """
    services = build(
        Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('served') / 'registry.sqlite3'}"),
        clock=Clock(datetime(2026, 11, 1, tzinfo=UTC)),
    )
    demo.load(services.registry)
    services.projector.catch_up()
    key = create_key(services, name="browser-auditor", role="auditor", actor="test")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    _wait_until_started(server, thread)
    try:
        yield Served(f"http://127.0.0.1:{listener.getsockname()[1]}", key.secret, services)
    finally:
        server.should_exit = True
        thread.join()
        listener.close()
        services.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    for _ in range(3000):  # start-up, not a measurement: give up only after a generous while (30 s)
        if server.started or not thread.is_alive():
            break
        time.sleep(0.01)
    if not server.started:
        pytest.fail("uvicorn did not start")


def held(page: Page, stage: int) -> tuple[str | None, str | None]:
    section = page.locator(f"#stage-{stage}")
    return section.get_attribute("data-held"), section.get_attribute("data-vacant")


def sign_in(page: Page, served: Served) -> None:
    page.goto(served.url + "/ui")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui$"))
    page.fill("#key", served.key)
    page.click("button[type=submit]")
    expect(page).to_have_url(served.url + "/ui")


def test_an_auditor_signs_in_reads_the_programme_and_moves_the_date(page: Page, served: Served, tmp_path: Path) -> None:
    sign_in(page, served)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "registry_key"]
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")

    page.click("text=독자 AI 파운데이션 모델 프로젝트")
    expect(page).to_have_url(served.url + f"/ui/programs/{demo.PROGRAM}")
    assert held(page, 2) == ("4", "0")
    expect(page.locator("#stage-2")).to_contain_text("화랑 AI 연합")
    expect(page.locator("#stage-2")).to_contain_text("Hwarang AI Alliance")
    expect(page.locator("#timeline")).to_contain_text("official:msit-ai-policy")
    expect(page.locator("#timeline")).to_contain_text("Programme announced")  # later pages: test_browser_a11y
    assert page.locator("#funding svg").count() == 4
    funding = page.locator("#funding")
    expect(funding.locator(".kinds tr[data-resource='gpu:H100']")).to_contain_text("1 gpu:H100 = 1/2 gpu:B200")
    expect(funding.locator(".grants tr[data-team=HWARANG]").first).to_contain_text("2026-02-19 – 2026-08-18")
    expect(funding.locator(".grants tr[data-team=HWARANG]").first).to_contain_text("1,536 gpu:H100 (equivalent)")
    expect(funding.locator(".exclusions tr[data-team=BADA]")).to_contain_text("2025-08-08 – 2026-07-31")
    expect(funding.locator(".fairness tr.fair[data-resource='gpu:B200']")).to_contain_text("parity")
    how = funding.locator(".fairness tr.computation[data-resource='gpu:B200'] details")
    expect(how.locator("li[data-team=HANBIT]")).not_to_be_visible()  # the computation folds away...
    how.locator("summary").click()
    expect(how.locator("li[data-team=HANBIT]")).to_contain_text("512 gpu:H100 × 1/2 = 256")  # ...and opens
    expect(how.locator("li[data-team=HANBIT]")).to_contain_text("ended before the period")
    page.screenshot(path=str(tmp_path / "programme-latest.png"), full_page=True)

    page.fill("#as_of", "2026-02-10T00:00")
    page.click("#when button[type=submit]")
    expect(page).to_have_url(re.compile(r"as_of=2026-02-10T00%3A00"))
    assert held(page, 2) == ("3", "1")
    expect(page.locator("#stage-2 .vacant-seat")).to_have_count(1)
    expect(page.locator("#stage-2")).not_to_contain_text("화랑 AI 연합")
    expect(page.locator("#answer-as-of")).to_have_text("2026-02-10 00:00 (UTC)")
    assert page.input_value("#as_of") == "2026-02-10T00:00"
    shot = tmp_path / "programme-as-of.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_the_programme_page_fits_a_phone_without_sideways_scrolling(page: Page, served: Served, tmp_path: Path) -> None:
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    sign_in(page, served)
    page.goto(served.url + f"/ui/programs/{demo.PROGRAM}?as_of=2026-02-10T00%3A00")
    assert held(page, 2) == ("3", "1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH + 1, f"the page is {width}px wide at {PHONE_WIDTH}px"
    assert page.locator("#stage-2 td[data-label=Team]").first.is_visible()
    page.screenshot(path=str(tmp_path / "programme-phone.png"), full_page=True)
    page.goto(served.url + f"/ui/programs/{demo.PROGRAM}")  # today: the funding tables and the fairness computation
    page.locator(".fairness tr.computation summary").first.click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH + 1, f"the page today is {width}px wide at {PHONE_WIDTH}px"


def test_pages_send_a_strict_content_security_policy_and_break_nothing(page: Page, served: Served) -> None:
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    response = page.goto(served.url + "/ui/login")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    sign_in(page, served)
    page.goto(served.url + f"/ui/programs/{demo.PROGRAM}")
    expect(page.locator("#stage-2")).to_contain_text("Hwarang AI Alliance")
    colour = page.locator("body").evaluate("element => getComputedStyle(element).fontFamily")
    assert colour, "the stylesheet applied under the policy"
    assert refused == []
