"""The API against its own OpenAPI document, fuzzed by schemathesis.

Every operation gets generated requests (valid and invalid) with an admin key,
over a registry that holds the demo programme. Every answer must be documented
by the schema (status, content type, headers, body), schema-invalid requests
must be refused, and none may be a server error.

A stateful run follows the document's links (open a programme → read it, enter a
team → read it, advance it, evaluate it) over a registry seeded with the demo
programme and its teams.

Every check runs, ``positive_data_acceptance`` included: the schema carries every
per-field constraint the server enforces (ranges, JSON integers, score scale and
precision, name and free-text patterns, dictionary keys, the years a time may fall
in, url-or-document), and the rules across fields that JSON Schema can state
(teams without repeats, a reason that conflicts and recusals require, an outcome
that does not both advance and eliminate). State-dependent refusals are 404/409,
but one: scores and gate results that do not match the stage's criteria and gates
(``/problems/invalid-scores``, 422), which the programme defines, not the schema.
What JSON Schema cannot state (a call closing after it opens, first ≤ second,
finalist_count within the last stage's seats, …) each operation lists in its 422
response (``x-cross-field-rules``); a schema-valid request may be refused only with
``/problems/invalid-value`` naming one of those rules, or with
``/problems/invalid-scores``. A ``/problems/invalid-request``
answer to a schema-valid request is pydantic refusing what the schema allowed: a
failure, as is any other refusal.

The live event feed is left to ``test_event_feed.py``: it waits for events by design
(``GET /events`` polls up to 30 s, ``GET /events/stream`` never ends on its own), so
generated requests would wait out every example.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api import demo
from api.app import create_app
from api.bootstrap import build
from api.keys import create_key
from api.problems import operations_of
from api.settings import Settings
from tests.depth import examples

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, CheckFunction
    from schemathesis.core.transport import Response
    from schemathesis.specs.openapi.schemas import OpenApiCase  # the library's name for a case of an OpenAPI schema

services = build(Settings(database_url="memory://"))
demo.load(services.registry)
services.projector.catch_up()
ADMIN = create_key(services, name="fuzzer", role="admin", actor="test")
app = create_app(services=services)
app.state.services = services  # the schemathesis transport does not run the lifespan
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"^/events")


HEADERS = {"Authorization": f"Bearer {ADMIN.secret}"}
DOCUMENT = app.openapi()


def _cross_field_rules(case: Case[Any]) -> list[re.Pattern[str]]:
    """The rules across fields the operation's 422 response documents, each as the detail it answers with."""
    refusal = DOCUMENT["paths"][case.operation.path][case.method.lower()]["responses"].get("422", {})
    rules: list[str] = refusal.get("x-cross-field-rules", [])
    return [re.compile(".+".join(re.escape(part) for part in rule.split("…"))) for rule in rules]


def positive_data_acceptance(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """schemathesis's check, but for a 422 that names a documented rule across fields, or scores that do not fit.

    Only ``/problems/invalid-value`` (the domain's refusal) whose detail is one of the rules the
    operation lists in ``x-cross-field-rules``, or ``/problems/invalid-scores`` of a request that
    sends scores or gate results (the stage's criteria and gates are the programme's, not the
    schema's); any other refusal of a schema-valid request fails.
    """
    try:
        accepted: bool | None = checks.positive_data_acceptance(ctx, response, case)
        return accepted
    except AssertionError:
        if response.status_code == 422:
            problem = response.json()
            if problem.get("type") == "/problems/invalid-value" and any(
                rule.fullmatch(problem.get("detail", "")) for rule in _cross_field_rules(case)
            ):
                return None
            if problem.get("type") == "/problems/invalid-scores" and _scores_sent(case):
                return None
        raise


def _scores_sent(case: Case[Any]) -> bool:
    """Whether the request carries scores or gate results, the only things ``invalid-scores`` refuses."""
    return isinstance(case.body, dict) and bool({"scores", "gates"} & case.body.keys())


# schemathesis's own check is replaced by the wrapper above, which runs it.
EXCLUDED = [checks.positive_data_acceptance]
ADDED: list[CheckFunction] = [positive_data_acceptance]


def test_the_operations_kept_for_allow_and_metrics_are_those_the_document_lists() -> None:
    """405's ``Allow`` header and the metrics' route labels read the routers, not the (slow to build) document."""
    documented = {path: frozenset(method.upper() for method in ops) for path, ops in DOCUMENT["paths"].items()}
    assert dict(operations_of(app)) == documented


@schema.parametrize()
# Derandomized: the same examples every run, so a failure reproduces and CI never flips on luck.
# Fifteen fuzzed requests per operation (sixty in `make test-long`), besides the boundary cases of the
# coverage phase (not limited by this).
@settings(max_examples=examples(15, 60), deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case: OpenApiCase) -> None:
    case.call_and_validate(headers=HEADERS, excluded_checks=EXCLUDED, additional_checks=ADDED)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]  # the library builds the base class at run time
    """Sequences of calls along the OpenAPI links, each answer checked by every check."""

    def get_call_kwargs(self, case: OpenApiCase) -> dict[str, Any]:
        return {"headers": HEADERS}

    def validate_response(self, response: Any, case: OpenApiCase, **kwargs: Any) -> None:
        case.validate_response(response, excluded_checks=EXCLUDED, additional_checks=ADDED)


TestWorkflow = Workflow.TestCase
TestWorkflow.settings = settings(
    max_examples=examples(10, 30),
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
