"""The auditor's web view over HTTP, on memory, SQLite and PostgreSQL.

The demo programme is recorded through the application service and read back as
an auditor's browser would: the programme list, the programme page (standings,
names, timeline, funding chart, checkpoint), the page as of a past date and as
known at a past recording time (both read from the versioned read-model rows), and signing in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from api import demo
from api.app import create_app
from api.bootstrap import Services
from api.keys import NewKey, create_key, revoke_key
from domain.commands import IssueKey
from domain.registry import Context
from projections import history
from tests.conftest import Clock

PAGE = f"/ui/programs/{demo.PROGRAM}"
BEFORE_HWARANG = "2026-02-10T00:00+09:00"  # the panel chose HWARANG on 2026-02-18
LATER = datetime(2026, 11, 1, tzinfo=UTC)  # after the story's last decision (2026-08-20)


@pytest.fixture
def auditor(services: Services) -> NewKey:
    return create_key(services, name="web-auditor", role="auditor", actor="test")


@pytest.fixture
def anonymous(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), follow_redirects=False) as client:
        yield client


@pytest.fixture
def signed_in(anonymous: TestClient, auditor: NewKey) -> TestClient:
    """A client holding the auditor's key the way a browser does: in the login cookie."""
    anonymous.cookies.set("registry_key", auditor.secret)
    return anonymous


@pytest.fixture
def recorded(services: Services, clock: Clock) -> None:
    clock.now = LATER
    # The client may be serving already: its inline catch-up off while the demo records, then one catch-up.
    serving = services.settings
    services.settings = serving.model_copy(update={"inline_projections": False})
    try:
        demo.load(services.registry)
    finally:
        services.settings = serving
    services.projector.catch_up()


def section(page: str, ident: str) -> str:
    """One ``<section id=…>`` of a page (stage sections hold no nested sections)."""
    found = re.search(rf'<section[^>]* id="{re.escape(ident)}"[^>]*>.*?</section>', page, re.S)
    assert found, f"no section {ident!r}"
    return found.group(0)


def seats(page: str, stage: int) -> tuple[int, int, int]:
    """(seats, held, vacant) of a stage, numbered from 1 as on the page."""
    head = re.search(r'data-seats="(\d+)" data-held="(\d+)" data-vacant="(\d+)"', section(page, f"stage-{stage}"))
    assert head
    return int(head[1]), int(head[2]), int(head[3])


def seated(page: str, stage: int) -> set[str]:
    return set(re.findall(r'outcome-seated" data-team="([^"]+)"', section(page, f"stage-{stage}")))


def text(fragment: str) -> str:
    """The words of a fragment; a line-break opportunity (``<wbr>``) is not a space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment.replace("<wbr>", "")))


def test_the_programme_list_shows_every_programme(signed_in: TestClient, recorded: None) -> None:
    response = signed_in.get("/ui")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f'href="{PAGE}"' in response.text
    assert "독자 AI 파운데이션 모델 프로젝트" in response.text
    assert "Sovereign AI Foundation Model Project" in response.text
    assert re.search(r'<td class="num">16</td>', response.text)  # fifteen applicants and the re-entrant


def test_an_empty_registry_lists_no_programme(signed_in: TestClient) -> None:
    response = signed_in.get("/ui")
    assert response.status_code == 200
    assert "No programme has been opened yet." in response.text


def test_the_programme_page_shows_standings_names_timeline_funding_and_checkpoint(
    signed_in: TestClient, services: Services, recorded: None
) -> None:
    page = signed_in.get(PAGE).text
    assert seats(page, 1) == (5, 0, 0)  # every stage-1 team moved on or was eliminated; concluded: no vacancy
    assert seats(page, 2) == (4, 4, 0)
    assert seated(page, 2) == {"HANBIT", "SEOGANG", "MIRAE", demo.RE_ENTRANT}
    stage2 = text(section(page, "stage-2"))
    assert "화랑 AI 연합" in stage2 and "Hwarang AI Alliance" in stage2
    assert "Vacant seat" not in stage2
    stage1 = section(page, "stage-1")
    assert re.search(r'data-team="HANBIT">\s*<td class="num" data-label="Rank">1</td>', stage1)
    assert 'data-label="Total">88' in stage1  # 36 + 31 + 21
    assert 'data-concluded="true"' in stage1 and "Vacant seat" not in stage1  # its empty seats are not to fill
    assert re.search(r'data-team="NURI">.*?independence: fail', stage1, re.S)
    assert "now (latest)" in text(section(page, "when"))


def test_the_timeline_lists_every_event_with_who_and_both_times(
    signed_in: TestClient, services: Services, recorded: None
) -> None:
    pages = [section(signed_in.get(PAGE).text, "timeline")]
    while later := re.search(r'href="([^"]+)#timeline" rel="next"', pages[-1]):
        pages.append(section(signed_in.get(PAGE + later[1].replace("&amp;", "&")).text, "timeline"))
    assert len(pages) >= 2  # the demo's timeline is longer than a page
    rows, _ = history.page(services.db, history.HistoryFilter(program_code=demo.PROGRAM), limit=1000)
    shown = [[int(p) for p in row.split()] for page in pages for row in re.findall(r'data-positions="([\d ]+)"', page)]
    assert sorted(p for row in shown for p in row) == [r["position"] for r in rows]  # every event once, across pages
    assert [row[0] for row in shown] == sorted(row[0] for row in shown)  # the decisions in log order
    timeline = "".join(pages)
    words = text(timeline)
    assert "official:msit-ai-policy" in words and "team:HWARANG" in words and "team:GAON" in words
    assert "2025-07-21 01:00" in words  # the opening took effect 10:00 KST, shown in UTC
    assert "2026-11-01 00:00" in words  # every event was recorded at the test clock's time
    assert "RoundStatementMade" in words and "We will continue with our own roadmap" in words  # without an offer
    assert "OfferDeclined" in words and "team:DAON" in words  # the direct invitation
    assert "EvaluationRoundDecided" in words and "Chosen by panel majority" in words


def test_funding_is_drawn_as_bars_with_the_fairness_comparison(signed_in: TestClient, recorded: None) -> None:
    funding = section(signed_in.get(PAGE).text, "funding")
    assert funding.count("<svg") == 4  # one chart per resource: two GPU models, data budget, titles
    h100 = re.search(r"<figure class=\"chart\">\s*<figcaption><strong>gpu:H100</strong>.*?</figure>", funding, re.S)
    assert h100 and 'data-team="NURI"' in h100[0] and "returned 1,024" in h100[0]
    assert re.search(
        r'class="fair" data-resource="gpu:B200">.*?HWARANG.*?gpu:B200 \(GPU\).*?768.*?parity', funding, re.S
    )
    assert "short by" not in funding
    assert "1 gpu:H100 = 1/2 gpu:B200" in funding  # the declared equivalence
    assert re.search(r"768 gpu:B200.*?2026-02-19 – 2026-08-18.*?1,536 gpu:H100 \(equivalent\)", funding, re.S)
    assert re.search(r'data-team="BADA">.*?gpu.*?2025-08-08 – 2026-07-31.*?Supplies GPUs', funding, re.S)
    assert "512 gpu:H100 × 1/2 = 256" in funding  # the computation, not just the verdict


def test_the_checkpoint_panel_shows_a_signed_tree_head_and_its_verification(
    signed_in: TestClient, services: Services, recorded: None, auditor: NewKey
) -> None:
    panel = section(signed_in.get(PAGE).text, "checkpoint")
    head = services.projector.head()
    assert f'id="log-head">{head}<' in panel
    assert f"<strong>{head}</strong> events" in panel
    checkpoint = signed_in.get("/audit/checkpoint", headers={"X-API-Key": auditor.secret}).json()
    assert checkpoint["root_hash"] in panel and checkpoint["key_id"] in panel
    assert '<span class="badge ok">verified</span>' in panel
    recorder: Any = services.registry.recorder
    if hasattr(recorder, "datastore"):  # alter a stored event behind the registry's back: the panel says so
        sqlite = "sqlite" in services.settings.database_url
        column, mark = ("rowid", "?") if sqlite else ("notification_id", "%s")
        (event,) = recorder.select_notifications(start=50, limit=1)
        altered = bytes(event.state).replace(b"2026", b"2027", 1)
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"UPDATE {recorder.events_table_name} SET state = {mark} WHERE {column} = 50", (altered,))
        services.registry.issue_key(
            Context(actor="t"),
            IssueKey(key_id="abcdef123456", name="x", role="auditor", secret="rk_abcdef123456_" + "x" * 30),
        )  # a new head, so the panel re-verifies
        tampered = section(signed_in.get(PAGE).text, "checkpoint")
        assert '<span class="badge bad">not verified</span>' in tampered and "altered event" in tampered


def test_as_of_a_date_before_the_re_entrant_was_chosen_one_seat_is_vacant(
    signed_in: TestClient, services: Services, recorded: None
) -> None:
    response = signed_in.get(PAGE, params={"as_of": BEFORE_HWARANG})
    assert response.status_code == 200
    page = response.text
    assert seats(page, 2) == (4, 3, 1)
    assert seated(page, 2) == {"HANBIT", "SEOGANG", "MIRAE"}
    assert "Vacant seat" in section(page, "stage-2")
    assert "2026-02-09 15:00 (UTC)" in text(section(page, "when"))
    assert 'value="2026-02-09T15:00"' in section(page, "when")  # the picker shows the chosen moment
    effective = re.findall(r'data-label="Effective">([^<]+)<', section(page, "timeline"))
    assert effective and max(effective) <= "2026-02-09 15:00"
    assert "as they stood after log position" in section(page, "checkpoint")
    assert seats(signed_in.get(PAGE).text, 2) == (4, 4, 0)  # the live view is untouched


def test_as_of_a_local_time_uses_the_chosen_offset(signed_in: TestClient, recorded: None) -> None:
    # 2026-02-18 10:00 KST is when the panel chose HWARANG: an instant later it holds the seat, an instant before not.
    before = signed_in.get(PAGE, params={"as_of": "2026-02-18T09:59", "tz": "+09:00"}).text
    after = signed_in.get(PAGE, params={"as_of": "2026-02-18T10:00", "tz": "+09:00"}).text
    assert seats(before, 2) == (4, 3, 1)
    assert seats(after, 2) == (4, 4, 0)


def test_known_at_shows_what_the_registry_had_recorded_then(
    signed_in: TestClient, services: Services, clock: Clock
) -> None:
    clock.now = datetime(2026, 9, 1, tzinfo=UTC)
    done = demo.load(services.registry, until="a panel chooses the re-entrant")
    clock.now = LATER
    for _name, step in demo.steps()[done:]:
        step(services.registry)
    services.projector.catch_up()
    then = signed_in.get(PAGE, params={"known_at": "2026-10-01T00:00"}).text
    assert seats(then, 2) == (4, 3, 1)
    assert "2026-10-01 00:00 (UTC)" in text(section(then, "when"))
    assert seats(signed_in.get(PAGE).text, 2) == (4, 4, 0)
    before_anything = signed_in.get(PAGE, params={"known_at": "2026-08-31T00:00"})
    assert before_anything.status_code == 404
    assert "had been opened" in before_anything.text


def test_without_a_key_pages_redirect_to_the_login_form(anonymous: TestClient, recorded: None) -> None:
    for path in ("/ui", PAGE):
        response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/login?next=")
    form = anonymous.get("/ui/login")
    assert form.status_code == 200
    assert 'name="key"' in form.text and 'method="post"' in form.text


def test_with_open_reads_a_browser_without_a_key_reads_the_pages(
    anonymous: TestClient, services: Services, recorded: None
) -> None:
    services.settings = services.settings.model_copy(update={"open_reads": True})
    response = anonymous.get(PAGE)
    assert response.status_code == 200
    assert "Reading without a key" in response.text
    assert seats(response.text, 2) == (4, 4, 0)


def sign_in(browser: TestClient, secret: str | None, target: str | None = None) -> Response:
    """Post the login form as a browser does: first load it, then send it back with its anti-forgery token."""
    form = browser.get("/ui/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    fields = {"key": secret or "", "csrf": token.group(1), **({"next": target} if target else {})}
    return browser.post("/ui/login", data=fields)


def test_forms_without_the_browsers_anti_forgery_token_are_refused(anonymous: TestClient, auditor: NewKey) -> None:
    forged = anonymous.post("/ui/login", data={"key": auditor.secret})
    assert forged.status_code == 403 and "registry_key" not in forged.headers.get("set-cookie", "")
    anonymous.get("/ui/login")  # the browser now holds a token, but the forged form does not carry it
    wrong = anonymous.post("/ui/login", data={"key": auditor.secret, "csrf": "x" * 43})
    assert wrong.status_code == 403 and "registry_key" not in wrong.headers.get("set-cookie", "")
    assert sign_in(anonymous, auditor.secret).status_code == 303
    assert anonymous.post("/ui/logout", data={}).status_code == 403
    assert anonymous.get("/ui").status_code == 200  # still signed in: the forged sign-out did nothing


def test_the_web_views_cookie_does_not_authenticate_api_writes(anonymous: TestClient, services: Services) -> None:
    admin = create_key(services, name="browser-admin", role="admin", actor="test")
    anonymous.cookies.set("registry_key", admin.secret)
    response = anonymous.post("/keys", json={"name": "minted", "role": "admin"})
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/unauthenticated"


@pytest.mark.parametrize("secret", ["", "rk_000000000000_not-a-key-that-exists-anywhere", "nonsense"])
def test_signing_in_with_a_bad_key_is_refused_and_sets_no_cookie(anonymous: TestClient, secret: str) -> None:
    response = sign_in(anonymous, secret)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert 'role="alert"' in response.text
    assert anonymous.get("/ui").status_code == 303


def test_signing_in_with_a_good_key_sets_a_strict_http_only_cookie(
    anonymous: TestClient, auditor: NewKey, recorded: None
) -> None:
    response = sign_in(anonymous, auditor.secret, PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == PAGE
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"registry_key={auditor.secret};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert anonymous.get(PAGE).status_code == 200
    assert anonymous.get(f"/programs/{demo.PROGRAM}/standings").status_code == 401  # the API never reads the cookie


def test_signing_in_never_redirects_to_another_site(anonymous: TestClient, auditor: NewKey) -> None:
    for target in ("https://elsewhere.example/", "//elsewhere.example/ui", "/programs"):
        response = sign_in(anonymous, auditor.secret, target)
        assert response.headers["location"] == "/ui"


def test_a_revoked_key_in_the_cookie_is_sent_back_to_the_login_form(
    signed_in: TestClient, services: Services, auditor: NewKey
) -> None:
    assert signed_in.get("/ui").status_code == 200
    revoke_key(services, auditor.key_id, actor="test")
    assert signed_in.get("/ui").status_code == 303


def test_unknown_programmes_and_malformed_times_are_html_errors(signed_in: TestClient, recorded: None) -> None:
    missing = signed_in.get("/ui/programs/NO-SUCH-PROGRAMME")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    malformed = ({"as_of": "last tuesday"}, {"known_at": "2026-13-01T00:00"}, {"tz": "Mars"}, {"as_of": "0001-01-01"})
    for params in malformed:
        response = signed_in.get(PAGE, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("text/html")


def test_the_stylesheet_is_served(anonymous: TestClient) -> None:
    response = anonymous.get("/ui/web.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "@media (max-width: 640px)" in response.text


def test_pages_forbid_scripts_and_framing_and_every_answer_forbids_sniffing(
    anonymous: TestClient, signed_in: TestClient, recorded: None
) -> None:
    for response in (anonymous.get("/ui/login"), signed_in.get(PAGE), signed_in.get("/ui/programs/NO-SUCH")):
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script" not in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in response.text and " style=" not in response.text
    assert anonymous.get("/health").headers["x-content-type-options"] == "nosniff"


def test_free_text_with_bidi_controls_is_isolated_on_the_page(
    signed_in: TestClient, services: Services, recorded: None
) -> None:
    page = signed_in.get(PAGE).text
    timeline = section(page, "timeline")
    assert "<bdi>" in timeline  # each reason is isolated: an override inside it cannot reorder the row around it
