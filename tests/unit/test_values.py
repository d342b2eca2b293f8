"""Value objects: codes and names in NFC, Korean text, rejected forms, stamps and their two times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from api.schemas.values import INVISIBLE_RANGES, Moment, invisible_ranges
from domain.errors import EffectiveTimeError, InvalidValueError
from domain.values import Stage, Stamp, code, resource_kind, text
from tests.unit.bdd import T0, day


def test_a_decomposed_code_is_stored_composed() -> None:
    assert code("caf" + "e\u0301") == "café"
    assert code("caf" + "e\u0301") == code("café")


def test_a_decomposed_hangul_name_is_stored_composed() -> None:
    decomposed = "\u1112\u1161\u11ab\u1100\u1173\u11af"  # 한글 as conjoining jamo
    assert text(decomposed, "name") == "한글"


def test_korean_codes_and_names_are_accepted() -> None:
    assert code("  업스테이지-1 ") == "업스테이지-1"
    assert text("엘지 AI 연구원", "name") == "엘지 AI 연구원"


@pytest.mark.parametrize("bad", ["", " ", "-leading-dash", "has space", "slash/inside", "x" * 65, "semi;colon"])
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidValueError):
        code(bad)


def test_required_text_must_not_be_empty_or_too_long() -> None:
    with pytest.raises(InvalidValueError):
        text("   ", "name")
    with pytest.raises(InvalidValueError):
        text("가" * 301, "name", limit=300)
    assert text("", "reason", required=False) == ""


@pytest.mark.parametrize("good", ["gpu:B200", "krw:data", "title:K-AI", "gpu:H100"])
def test_resource_kinds_name_a_class_and_a_name(good: str) -> None:
    assert resource_kind(good) == good


@pytest.mark.parametrize("bad", ["B200", "GPU:B200", "gpu:", ":B200", "gpu:B 200"])
def test_malformed_resource_kinds_are_refused(bad: str) -> None:
    with pytest.raises(InvalidValueError):
        resource_kind(bad)


def test_a_stage_refuses_a_repeated_criterion_or_gate() -> None:
    with pytest.raises(InvalidValueError):
        Stage.make("stage 1", 5, [{"code": "bench", "max_points": 40}], ["bench"])


@pytest.mark.parametrize("max_points", [0, -5, "NaN", "Infinity"])
def test_a_criterion_needs_a_positive_finite_maximum(max_points: object) -> None:
    with pytest.raises(InvalidValueError):
        Stage.make("stage 1", 5, [{"code": "bench", "max_points": max_points}], [])


@pytest.mark.parametrize("seats", [0, -1, True])
def test_a_stage_needs_a_positive_whole_number_of_seats(seats: int) -> None:
    with pytest.raises(InvalidValueError):
        Stage.make("stage 1", seats, [], [])


def test_a_stage_round_trips_through_its_record() -> None:
    stage = Stage.make("1차", 5, [{"code": "bench", "max_points": "40.5"}], ["independence"])
    assert Stage.from_record(stage.as_record()) == stage
    assert stage.criteria[0].max_points == Decimal("40.5")


def test_a_stamp_without_effective_time_takes_effect_when_recorded() -> None:
    stamp = Stamp.make(actor=" official ", recorded_at=T0)
    assert (stamp.actor, stamp.effective_at, stamp.recorded_at) == ("official", T0, T0)


def test_a_stamp_may_be_back_dated() -> None:
    stamp = Stamp.make(actor="official", recorded_at=day(3), effective_at=day(1))
    assert (stamp.effective_at, stamp.recorded_at) == (day(1), day(3))


def test_a_stamp_cannot_take_effect_after_it_was_recorded() -> None:
    with pytest.raises(EffectiveTimeError):
        Stamp.make(actor="official", recorded_at=day(1), effective_at=day(1) + timedelta(microseconds=1))


def test_a_stamp_cannot_take_effect_before_the_programme_opened() -> None:
    stamp = Stamp.make(actor="official", recorded_at=day(1), effective_at=day(-1))
    with pytest.raises(EffectiveTimeError):
        stamp.not_before(T0)
    assert Stamp.make(actor="official", recorded_at=day(1), effective_at=T0).not_before(T0).effective_at == T0


@pytest.mark.parametrize("field", ["recorded_at", "effective_at"])
def test_naive_datetimes_are_refused(field: str) -> None:
    naive = datetime(2026, 1, 5, 9, 0)
    recorded, effective = (naive, T0) if field == "recorded_at" else (T0, naive)
    with pytest.raises(InvalidValueError):
        Stamp.make(actor="official", recorded_at=recorded, effective_at=effective)


def test_a_stamp_needs_an_actor() -> None:
    with pytest.raises(InvalidValueError):
        Stamp.make(actor="  ", recorded_at=T0)


def test_the_written_out_invisible_characters_are_those_of_this_pythons_unicode() -> None:
    computed = invisible_ranges()
    assert list(INVISIBLE_RANGES) == computed, f"write INVISIBLE_RANGES in api/schemas/values.py as {computed}"


@pytest.mark.parametrize("number", ["1700000000", "1.5", "-3", "2.0488987315709953e-05", "1e9", "1_000", " 12 "])
def test_a_time_written_as_a_number_is_refused_not_read_as_a_unix_time(number: str) -> None:
    with pytest.raises(ValidationError, match="expected an ISO 8601 string"):
        TypeAdapter(Moment).validate_python(number)


def test_a_time_in_iso_8601_is_read_with_its_offset() -> None:
    moment = TypeAdapter(Moment).validate_python("2026-01-15T10:00:00+09:00")
    assert moment == datetime(2026, 1, 15, 1, 0, tzinfo=UTC)
