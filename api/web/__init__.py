"""The auditor's web view: server-rendered pages over the read models (read-only)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
