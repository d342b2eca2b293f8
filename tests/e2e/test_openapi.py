"""The API against its own OpenAPI document, fuzzed by schemathesis.

Every operation gets generated requests (valid and invalid) with an admin key,
over a registry that holds the demo programme. Every answer must be documented
by the schema (status, content type, headers, body), schema-invalid requests
must be refused, and none may be a server error.

A stateful run follows the document's links (open a programme → read it, enter a
team → read it, advance it, evaluate it) over a registry seeded with the demo
programme and its teams.

One check is still left out: ``positive_data_acceptance``. The schema now carries
every per-field constraint the server enforces (ranges, JSON integers, score
scale, name and free-text patterns, url-or-document), and state-dependent refusals
are 404/409; what remains are rules across fields that JSON Schema cannot state
(a stage repeating a criterion code, finalist_count above the last stage's seats,
a call closing before it opens, first ≤ second) and dictionary keys, whose
patterns (``propertyNames``) the generator does not follow — each answered 422.

The live event feed is left to ``test_event_feed.py``: it waits for events by design
(``GET /events`` polls up to 30 s, ``GET /events/stream`` never ends on its own), so
generated requests would wait out every example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api import demo
from api.app import create_app
from api.bootstrap import build
from api.keys import create_key
from api.settings import Settings

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase  # the library's name for a case of an OpenAPI schema

services = build(Settings(database_url="memory://"))
demo.load(services.registry)
services.projector.catch_up()
ADMIN = create_key(services, name="fuzzer", role="admin", actor="test")
app = create_app(services=services)
app.state.services = services  # the schemathesis transport does not run the lifespan
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"^/events")


HEADERS = {"Authorization": f"Bearer {ADMIN.secret}"}
EXCLUDED = [checks.positive_data_acceptance]


@schema.parametrize()
# Derandomized: the same examples every run, so a failure reproduces and CI never flips on luck.
# Thirty fuzzed requests per operation, besides the boundary cases of the coverage phase (not limited by this).
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case: OpenApiCase) -> None:
    case.call_and_validate(headers=HEADERS, excluded_checks=EXCLUDED)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]  # the library builds the base class at run time
    """Sequences of calls along the OpenAPI links, each answer checked by every check."""

    def get_call_kwargs(self, case: OpenApiCase) -> dict[str, Any]:
        return {"headers": HEADERS}

    def validate_response(self, response: Any, case: OpenApiCase, **kwargs: Any) -> None:
        case.validate_response(response, excluded_checks=EXCLUDED)


TestWorkflow = Workflow.TestCase
TestWorkflow.settings = settings(
    max_examples=10, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
