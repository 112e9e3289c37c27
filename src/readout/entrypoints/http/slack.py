"""``POST /slack/interactions``: the buttons and the reason modal of the leadership channel's request messages
(docs/leadership-channel.md), carried out through the same service gates as the API and the web app.

Every request is verified first (adapters/slack/signature.py: v0 signature over the raw body, timestamp within
5 minutes of the wall clock, a replay refused: 401), then parsed (``payload``, form-encoded JSON: 400 when
malformed). What a click does:

* ``readout_approve`` (a near miss's button, value ``{"escalation", "request", "slot"}``): the open request is
  approved by the Readout user linked to the clicking Slack user (``User.slack``), with the reason "approved
  in the leadership channel"; ``exceptions.approve`` keeps every gate (the role that may waive, not one's own
  request). The decision is one local transaction; the message's update is an effect it wrote, carried out
  after the answer (a background task, or the worker).
* ``readout_reject``: opens the reason modal (``views.open``, after the answer, within the trigger's 3 s).
* the modal's submission (``readout_reject_reason``): ``exceptions.reject`` with the typed reason.

A Slack user who is not linked, or whose Readout user may not decide, gets an ephemeral refusal (in the modal:
the refusal under the reason field) and nothing is decided: the escalation, its request and its waivers are
as they were (a refused attempt by a linked user is recorded in the audit trail, as from the web app). Slack
is answered within its 3 seconds: 200 with an empty body, or the modal's errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from readout.adapters.slack import (
    BadSignature,
    MemoryReplayGuard,
    ReplayGuard,
    SlackChannel,
    SqlReplayGuard,
    verify_request,
)
from readout.domain.audit import CHANNEL, CREDENTIAL, Credential
from readout.domain.exception_requests import Decision
from readout.domain.intervals import utc_text
from readout.domain.users import User
from readout.entrypoints.http.auth import request_deps
from readout.errors import ReadoutError
from readout.services.context import Deps

__all__ = [
    "APPROVE",
    "APPROVED_HERE",
    "REJECT",
    "REJECT_MODAL",
    "interactions",
    "reject_modal",
    "router",
]

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)  # Slack's endpoint, not part of the API v1

APPROVE, REJECT, REJECT_MODAL = "readout_approve", "readout_reject", "readout_reject_reason"
APPROVED_HERE = "approved in the leadership channel"
_MAX_BODY = 256 * 1024  # an interaction carries the message and, for a modal, its state: far less than this
_NOTHING = "Nothing was decided."
_UNLINKED = (
    "Your Slack account is not linked to a Readout user, so Readout cannot tell who decides. "
    f"{_NOTHING} An administrator links it (the users file's slack: field, then readout users import)."
)


class _Malformed(ReadoutError):
    """The payload is not an interaction Readout sent buttons for (answered 400)."""


@dataclass(frozen=True)
class _Target:
    """What a button or the modal names: an escalation's exception request (and, to approve, a slot)."""

    escalation: str
    request: int
    slot: datetime | None = None


@router.post("/slack/interactions")
async def interactions(request: Request, background: BackgroundTasks) -> Response:
    """Verify, parse and carry out one interaction; answered at once (Slack waits 3 s at most)."""
    deps = request_deps(request)
    slack = deps.channel
    if not isinstance(slack, SlackChannel):
        return _plain(503, "the leadership channel is not configured (READOUT_SLACK_*)")
    body = await request.body()
    if len(body) > _MAX_BODY:
        return _plain(413, "the request is larger than an interaction may be")
    replays = _replay_guard(request, deps)
    try:
        await run_in_threadpool(
            verify_request,
            slack.settings.signing_secret,
            dict(request.headers),
            body,
            datetime.now(UTC),  # the wall clock, whatever clock the workflow is pinned to
            replays,
        )
    except BadSignature as refused:
        return _plain(401, str(refused))
    try:
        payload = _payload(body)
        return await run_in_threadpool(_carry_out, deps, slack, payload, background)
    except _Malformed as malformed:
        return _plain(400, str(malformed))


def _carry_out(
    deps: Deps, slack: SlackChannel, payload: dict[str, Any], background: BackgroundTasks
) -> Response:
    """In a worker thread (the store and the services are synchronous)."""
    kind = payload.get("type")
    slack_user = _text(_field(payload, "user"), "id")
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            raise _Malformed("block_actions without actions")
        action = actions[0]
        if action.get("action_id") == APPROVE:
            return _approve(deps, slack, payload, slack_user, _target(action.get("value"), True), background)
        if action.get("action_id") == REJECT:
            return _open_reject(
                deps, slack, payload, slack_user, _target(action.get("value"), False), background
            )
        return Response(status_code=200)  # "Open in Readout" (a link) and anything else: nothing to do
    if kind == "view_submission" and _field(payload, "view").get("callback_id") == REJECT_MODAL:
        return _reject(deps, payload, slack_user, background)
    return Response(status_code=200)  # view_closed, shortcuts, ...: Readout sent nothing they answer


# The three interactions ------------------------------------------------------------------------------------


def _approve(
    deps: Deps,
    slack: SlackChannel,
    payload: dict[str, Any],
    slack_user: str,
    target: _Target,
    background: BackgroundTasks,
) -> Response:
    channel = _channel_of(payload, slack)

    def tell(text: str) -> None:
        background.add_task(_ephemeral, slack, channel, slack_user, text)

    user = _linked(deps, slack_user)
    if user is None:
        tell(_UNLINKED)
        return Response(status_code=200)
    stale = _not_open(deps, target)
    if stale:
        tell(f"{stale} {_NOTHING}")
        return Response(status_code=200)
    from readout.services import exceptions

    try:
        with _acting_from_slack(slack_user):
            outcome = exceptions.approve(deps, target.escalation, user.id, target.slot, APPROVED_HERE)
    except ReadoutError as refused:
        deciders = _said(deps, target)[1]
        tell(f"Refused: {refused}. {_NOTHING}" + (f" Next: {deciders} decides it." if deciders else ""))
        return Response(status_code=200)
    waived = ", ".join(sorted({w.family for w in outcome.recorded})) or "nothing more"
    when = _said(deps, target)[0]
    if outcome.still_needed:
        next_step = (
            f"Nothing is held yet. Next: still to be waived before it may be held: "
            f"{', '.join(outcome.still_needed)} (see the thread)."
        )
    else:
        next_step = "Nothing is held yet. Next: the program or escalation manager places the hold in Readout."
    tell(
        f"You approved {target.escalation} request #{target.request} for the slot {when}: recorded in "
        f"Readout as waived: {waived}. The channel message is updated once delivered. {next_step}"
    )
    background.add_task(_deliver, deps, target.escalation)
    return Response(status_code=200)


def _open_reject(
    deps: Deps,
    slack: SlackChannel,
    payload: dict[str, Any],
    slack_user: str,
    target: _Target,
    background: BackgroundTasks,
) -> Response:
    channel = _channel_of(payload, slack)
    if _linked(deps, slack_user) is None:
        background.add_task(_ephemeral, slack, channel, slack_user, _UNLINKED)
        return Response(status_code=200)
    stale = _not_open(deps, target)
    if stale:
        background.add_task(_ephemeral, slack, channel, slack_user, f"{stale} {_NOTHING}")
        return Response(status_code=200)
    trigger = payload.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise _Malformed("block_actions without a trigger_id")
    background.add_task(_open_view, slack, trigger, reject_modal(target.escalation, target.request))
    return Response(status_code=200)


def _reject(deps: Deps, payload: dict[str, Any], slack_user: str, background: BackgroundTasks) -> Response:
    view = _field(payload, "view")
    target = _target(view.get("private_metadata"), False)
    typed = _field(_field(_field(view, "state"), "values"), "reason").get("reason")
    reason = (typed.get("value") if isinstance(typed, dict) else None) or ""
    if not isinstance(reason, str):
        raise _Malformed("the reason is not text")
    if not reason.strip():
        return _modal_error("Write why the request is rejected: the requester reads it.")
    user = _linked(deps, slack_user)
    if user is None:
        return _modal_error(_UNLINKED)
    from readout.services import exceptions

    stale = _not_open(deps, target)
    if stale:
        return _modal_error(f"{stale} {_NOTHING}")
    try:
        with _acting_from_slack(slack_user):
            exceptions.reject(deps, target.escalation, user.id, reason.strip())
    except ReadoutError as refused:
        return _modal_error(f"Refused: {refused}. {_NOTHING}")
    background.add_task(_deliver, deps, target.escalation)
    return Response(status_code=200)  # an empty 200 closes the modal


def reject_modal(escalation: str, request: int) -> dict[str, Any]:
    """The reason modal for ``escalation``'s request ``request`` (the Slack interaction contract)."""
    metadata = json.dumps({"escalation": escalation, "request": request})
    intro = (
        f"Reject exception request #{request} of *{escalation}*. The reason is recorded in "
        "Readout's audit trail and shown to the requester; a refused waiver goes on to support leadership."
    )
    return {
        "type": "modal",
        "callback_id": REJECT_MODAL,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Reject the request"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


# Helpers ---------------------------------------------------------------------------------------------------


def _payload(body: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=False)
    except UnicodeDecodeError:
        raise _Malformed("the body is not UTF-8 form data") from None
    raw = form.get("payload")
    if not raw:
        raise _Malformed("no payload field: Slack sends interactions as payload=JSON")
    try:
        payload = json.loads(raw[-1])
    except ValueError:
        raise _Malformed("the payload is not JSON") from None
    if not isinstance(payload, dict):
        raise _Malformed("the payload is not a JSON object")
    return payload


def _field(holder: dict[str, Any], name: str) -> dict[str, Any]:
    found = holder.get(name)
    if not isinstance(found, dict):
        raise _Malformed(f"no {name} object in the payload")
    return found


def _text(holder: dict[str, Any], name: str) -> str:
    found = holder.get(name)
    if not isinstance(found, str) or not found:
        raise _Malformed(f"no {name} in the payload")
    return found


def _target(value: object, with_slot: bool) -> _Target:
    """A button's value (or the modal's private metadata): JSON naming the request (and the slot)."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _Malformed("the button's value is not the JSON Readout put there")
    escalation, number = data.get("escalation"), data.get("request")
    if (
        not isinstance(escalation, str)
        or not escalation
        or isinstance(number, bool)
        or not isinstance(number, int)
    ):
        raise _Malformed("the button's value names no escalation and request")
    if not with_slot:
        return _Target(escalation, number)
    start = data.get("slot")
    try:
        slot = datetime.fromisoformat(start) if isinstance(start, str) else None
    except ValueError:
        slot = None
    if slot is None or slot.tzinfo is None:
        raise _Malformed("the button's value names no slot (a UTC start such as 2026-11-17T15:00:00Z)")
    return _Target(escalation, number, slot.astimezone(UTC))


def _channel_of(payload: dict[str, Any], slack: SlackChannel) -> str:
    channel = payload.get("channel")
    found = channel.get("id") if isinstance(channel, dict) else None
    return found if isinstance(found, str) and found else slack.settings.channel


def _linked(deps: Deps, slack_user: str) -> User | None:
    """The Readout user linked to the Slack user ``slack_user``, or None."""
    with deps.look() as uow:
        return next((u for u in uow.users.list() if u.slack == slack_user), None)


def _not_open(deps: Deps, target: _Target) -> str:
    """Why the request the button names can no longer be decided ('' when it is open): a message left from
    an earlier request must not decide today's."""
    with deps.look() as uow:
        requests = {r.id: r for r in uow.exceptions.of(target.escalation)}
    found = requests.get(target.request)
    if found is None:
        return f"{target.escalation} has no exception request #{target.request}."
    if found.decision is not Decision.OPEN:
        return f"{target.escalation} request #{target.request} was already decided ({found.decision.value})."
    return ""


def _said(deps: Deps, target: _Target) -> tuple[str, str]:
    """The clicked slot as the request's message says it (the contract zone's local time with its city,
    UTC, the fix owner's own time), and who may decide the request, by name ('' when unknown)."""
    from readout.presentation.slack import deciders_next, option_text
    from readout.services.announcements import request_card

    fallback = f"starting {utc_text(target.slot)}" if target.slot else "the slot"
    with deps.look() as uow:
        esc = uow.escalations.get(target.escalation)
        request = next((r for r in uow.exceptions.of(target.escalation) if r.id == target.request), None)
        if esc is None or request is None:
            return fallback, ""
        card = request_card(uow, esc, request)
    option = next((o for o in card.options if o.start == target.slot), None)
    return (option_text(card, option) if option else fallback), deciders_next(card)


@contextmanager
def _acting_from_slack(slack_user: str) -> Iterator[None]:
    """Audit entries written meanwhile say ``via: slack`` and which Slack user acted (``credential``)."""
    channel, credential = CHANNEL.set("slack"), CREDENTIAL.set(Credential(f"slack user {slack_user}"))
    try:
        yield
    finally:
        CREDENTIAL.reset(credential)
        CHANNEL.reset(channel)


def _replay_guard(request: Request, deps: Deps) -> ReplayGuard:
    """The app's replay guard: the store's table when the store is SQL, else this process's memory."""
    found = getattr(request.app.state, "slack_replays", None)
    if found is None:
        from readout.adapters.sql.unit_of_work import SqlUnitOfWork

        uow = deps.uow()  # not entered: only its engine is used
        found = SqlReplayGuard(uow.engine) if isinstance(uow, SqlUnitOfWork) else MemoryReplayGuard()
        request.app.state.slack_replays = found
    guard: ReplayGuard = found
    return guard


def _modal_error(text: str) -> Response:
    """The modal stays open with ``text`` under the reason field."""
    return JSONResponse({"response_action": "errors", "errors": {"reason": text[:1900]}})


def _plain(status: int, detail: str) -> Response:
    return JSONResponse({"ok": False, "error": detail}, status_code=status)


# After the answer (background tasks) -----------------------------------------------------------------------


def _ephemeral(slack: SlackChannel, channel: str, user: str, text: str) -> None:
    try:
        slack.post_ephemeral(channel, user, text)
    except ReadoutError as failure:
        log.warning("could not tell a Slack user %s: %s", user, failure)


def _open_view(slack: SlackChannel, trigger: str, view: dict[str, Any]) -> None:
    try:
        slack.views_open(trigger, view)
    except ReadoutError as failure:
        log.warning("could not open the reason modal: %s", failure)


def _deliver(deps: Deps, escalation_id: str) -> None:
    """Carry out what the decision wrote (the channel message's update, ...); the worker retries failures."""
    from readout.services.effects import carry_out

    try:
        carry_out(deps, escalation_id)
    except ReadoutError as failure:
        log.warning("effects of %s left for the worker: %s", escalation_id, failure)
