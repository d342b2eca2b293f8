"""Calls for applications: a window per stage that takes new applicants, extended or closed early by events.

A programme announced before its call, or opened with a call, takes an
application to a stage only if the application is dated within the window of
that stage's call; a programme opened in one go that never opened a call keeps
taking applications at any time after opening, as before calls existed.

The window is judged at the application's effective time, so an application
received in time and recorded late is taken. An application is saved on its
team's stream alone; a call closed early while an application is being
recorded is judged on the programme as it was loaded, which is the rule that
was in force when the application was received.
"""

from __future__ import annotations

from datetime import datetime

from domain import errors
from domain.program_state import Call, ProgramEvent, ProgramState
from domain.values import Stamp, aware


class CallOpened(ProgramEvent):
    TOPIC = "registry:CallOpened"
    stage: int
    opens_at: datetime
    closes_at: datetime

    def apply(self, program: ProgramState) -> None:
        program.calls[self.stage] = Call(self.stage, self.opens_at, self.closes_at)


class CallExtended(ProgramEvent):
    TOPIC = "registry:CallExtended"
    stage: int
    closes_at: datetime

    def apply(self, program: ProgramState) -> None:
        call = program.calls[self.stage]
        program.calls[self.stage] = Call(call.stage, call.opens_at, self.closes_at)


class CallClosedEarly(ProgramEvent):
    TOPIC = "registry:CallClosedEarly"
    stage: int
    closes_at: datetime

    def apply(self, program: ProgramState) -> None:
        call = program.calls[self.stage]
        program.calls[self.stage] = Call(call.stage, call.opens_at, self.closes_at)


class Calls(ProgramState):
    """The programme's commands about calls, and the check every application passes."""

    def open_call(self, stamp: Stamp, *, stage: int, opens_at: datetime, closes_at: datetime) -> None:
        stamp.not_before(self.opened_at)
        self.stage(stage)
        if aware(closes_at, "closes_at") <= aware(opens_at, "opens_at"):
            raise errors.InvalidValueError("a call must close after it opens")
        current = self.calls.get(stage)
        if current is not None and current.closes_at >= opens_at:
            msg = f"the call for stage {stage} runs until {current.closes_at.isoformat()}: extend or close it instead"
            raise errors.CallOverlapError(msg)
        self.trigger_event(CallOpened, stage=stage, opens_at=opens_at, closes_at=closes_at, **stamp.event_fields())

    def extend_call(self, stamp: Stamp, *, stage: int, closes_at: datetime) -> None:
        call = self._call(stamp, stage)
        if aware(closes_at, "closes_at") == call.closes_at:
            return  # the call already closes then
        if closes_at < call.closes_at:
            raise errors.InvalidValueError("an extension closes the call later than it closes now")
        if stamp.effective_at > call.closes_at:
            msg = f"the call for stage {stage} closed at {call.closes_at.isoformat()}: open a new call"
            raise errors.CallClosedError(msg)
        self.trigger_event(CallExtended, stage=stage, closes_at=closes_at, **stamp.event_fields())

    def close_call_early(self, stamp: Stamp, *, stage: int, closes_at: datetime) -> None:
        call = self._call(stamp, stage)
        if aware(closes_at, "closes_at") == call.closes_at:
            return  # the call already closes then
        if closes_at > call.closes_at:
            raise errors.InvalidValueError("an early close closes the call sooner than it closes now")
        if closes_at < max(call.opens_at, stamp.effective_at):
            raise errors.InvalidValueError("a call cannot close before it opens nor before the decision to close it")
        self.trigger_event(CallClosedEarly, stage=stage, closes_at=closes_at, **stamp.event_fields())

    def check_application(self, stamp: Stamp, stage: int) -> None:
        """Refuse an application dated outside its stage's call (when the programme takes applications by call)."""
        call = self.calls.get(stage)
        at = stamp.effective_at
        if call is None:
            if self.calls or self.announced:
                raise errors.CallNotOpenError(f"stage {stage} of programme {self.code} has no call for applications")
            return
        if at < call.opens_at:
            raise errors.CallNotOpenError(f"the call for stage {stage} opens at {call.opens_at.isoformat()}")
        if at > call.closes_at:
            raise errors.CallClosedError(f"the call for stage {stage} closed at {call.closes_at.isoformat()}")

    def _call(self, stamp: Stamp, stage: int) -> Call:
        stamp.not_before(self.opened_at)
        self.stage(stage)
        call = self.calls.get(stage)
        if call is None:
            raise errors.CallNotOpenError(f"stage {stage} of programme {self.code} has no call for applications")
        return call
