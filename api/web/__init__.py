"""The auditor's web view: server-rendered pages over the read models (read-only).

``/ui`` lists the programmes; ``/ui/programs/{code}`` shows one programme's standings,
timeline, funding and checkpoint, now or as of any effective and recorded time;
``/ui/login`` keeps an API key in a cookie for the browser.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import login, pages

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(login.router)
