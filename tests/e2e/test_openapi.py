"""The API against its own OpenAPI document, fuzzed by schemathesis.

Every operation gets generated requests (valid and invalid) with an admin key,
over a registry that holds the demo programme. Every answer must be documented
by the schema (status, content type, headers, body), schema-invalid requests
must be refused, and none may be a server error.

Every check runs, ``positive_data_acceptance`` included: a schema-valid request
may be refused only for what the records say (404 for something that does not
exist, 409 for a rule), never with 422 — every constraint the server puts on a
value's form is in the schema. A stateful run follows the document's links (open
a programme → read it, enter a team → read it, advance it, evaluate it) over a
registry seeded with the demo programme and its teams.

The live event feed is left to ``test_event_feed.py``: it waits for events by design
(``GET /events`` polls up to 30 s, ``GET /events/stream`` never ends on its own), so
generated requests would wait out every example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import HealthCheck, settings

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


@schema.parametrize()
# Derandomized: the same examples every run, so a failure reproduces and CI never flips on luck.
# Thirty fuzzed requests per operation, besides the boundary cases of the coverage phase (not limited by this).
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case: OpenApiCase) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN.secret}"})


class Workflow(schema.as_state_machine()):  # type: ignore[misc]  # the library builds the base class at run time
    """Sequences of calls along the OpenAPI links, each answer checked by every check."""

    def get_call_kwargs(self, case: OpenApiCase) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {ADMIN.secret}"}}


TestWorkflow = Workflow.TestCase
TestWorkflow.settings = settings(
    max_examples=10, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
