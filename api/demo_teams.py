"""The demo programme's fictional teams, criteria and scores, and how its decisions are dated (``api.demo`` tells
the story)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.registry import Context
from domain.values import Source

PROGRAM = "SOVEREIGN-AI-2025"
KST = timezone(timedelta(hours=9))
CRITERIA = [
    {"code": "benchmark", "name": "Benchmark", "max_points": 40},
    {"code": "expert", "name": "Expert review", "max_points": 35},
    {"code": "user", "name": "User evaluation", "max_points": 25},
]
TEAMS = [  # code, Korean name, English name, lead organisation, members
    ("HANBIT", "한빛 AI 컨소시엄", "Hanbit AI Consortium", "Hanbit AI", ["KAIST", "Seoul National University"]),
    ("SEOGANG", "서강 파운데이션 모델팀", "Seogang Foundation Model Team", "Seogang Tech", ["POSTECH"]),
    ("MIRAE", "미래언어 연합", "Mirae Language Alliance", "Mirae Labs", ["Yonsei University", "Chipwave"]),
    ("NURI", "누리 지능", "Nuri Intelligence", "Nuri Systems", ["Korea University"]),
    ("BADA", "바다 모델 컨소시엄", "Bada Model Consortium", "Bada Semiconductor", ["UNIST", "Bada Cloud"]),
    ("GAON", "가온 AI", "Gaon AI", "Gaon Soft", ["Hanyang University"]),
    ("SORI", "소리 연구소", "Sori Research", "Sori Inc.", []),
    ("DAON", "다온 데이터", "Daon Data", "Daon", ["Sungkyunkwan University"]),
    ("HANEUL", "하늘 언어모델", "Haneul LM", "Haneul Networks", []),
    ("BITNARA", "빛나라 AI", "Bitnara AI", "Bitnara", ["GIST"]),
    ("GARAM", "가람 컨소시엄", "Garam Consortium", "Garam Telecom", ["Inha University"]),
    ("SAEBOM", "새봄 지능", "Saebom Intelligence", "Saebom", []),
    ("JIHYE", "지혜 모델", "Jihye Model", "Jihye AI", ["Ajou University"]),
    ("NARAE", "나래 AI", "Narae AI", "Narae", []),
    ("TAEYANG", "태양 파운데이션", "Taeyang Foundation", "Taeyang Holdings", ["DGIST"]),
]
FUNDED = ["HANBIT", "SEOGANG", "MIRAE", "NURI", "BADA"]
GPU_GRANTS = {
    "HANBIT": ("gpu:B200", 512),
    "SEOGANG": ("gpu:H100", 1024),
    "MIRAE": ("gpu:B200", 512),
    "NURI": ("gpu:H100", 1024),
}  # BADA's consortium includes a GPU supplier: excluded from GPUs after it applied
KINDS = [  # resource, unit, quantity, equals, equals_quantity: "512 B200 or 1,024 H100"
    ("gpu:B200", "GPU", 1, "", 0),
    ("gpu:H100", "GPU", 2, "gpu:B200", 1),
    ("krw:data", "KRW", 1, "", 0),
    ("title:K-AI", "title", 1, "", 0),
]
STAGE1_SCORES = {  # benchmark, expert, user, independence
    "HANBIT": (36, 31, 21, True),
    "SEOGANG": (33, 30, 22, True),
    "MIRAE": (31, 28, 20, True),
    "NURI": (34, 29, 19, False),
    "BADA": (24, 22, 15, True),
}
RE_ENTRANT = "HWARANG"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=KST)


def ctx(day: str, reason: str, actor: str = "official:msit-ai-policy", notice: str = "") -> Context:
    """A decision taking effect on ``day`` at 10:00 in Seoul; ``notice`` names the (fictional) notice behind it."""
    sources = (Source.make(document=notice, title=reason),) if notice else ()
    return Context(actor=actor, effective_at=at(day), reason=reason, correlation_id=f"demo-{day}", sources=sources)
