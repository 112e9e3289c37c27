"""The run: incidents arrive on a virtual clock and the organisation's people drive the real workflow services
(open, plan, hold, request/approve/reject exceptions, review, confirm, cancel; the reaper expires holds) on a
real store. Every timed event sits in one heap; the services read the virtual clock through ``Deps.clock``.

What people do, and how long they take (docs/simulation.md):
- the program manager opens the case a log-normal delay after the RCA approval, and holds the best slots at
  once when the policy holds (else only the slot the customer picked, just before review);
- the customer's incident manager picks a held slot after a log-normal delay; a coordinator reviews it and
  another confirms it after a short log-normal delay (the confirmation re-checks free/busy);
- waiver approvers (duty manager for COVERAGE, engineering manager for HANDOFF_WINDOW) and support leadership
  answer exception requests after log-normal delays, approving the nearest option or rejecting it;
- now and then someone books over the slot about to be picked (a constant hazard per hour, lower while the
  slot is held), so the confirmation's re-check fails and the escalation goes back to planning;
- a calendar service goes down for a while: plans made meanwhile show its owner unknown (every slot blocked),
  and the program manager re-plans later;
- support leadership cancels what is not confirmed by its deadline.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from readout.domain.eligibility import eligible_slots
from readout.domain.exception_requests import Decision, ExceptionRequest, Route
from readout.domain.intervals import Interval
from readout.domain.lifecycle import State
from readout.domain.names import COVERAGE, HANDOFF_WINDOW
from readout.domain.users import Role, User
from readout.errors import ReadoutError
from readout.services import confirmation, escalations, exceptions, holding
from readout.services.context import Deps
from readout.simulation.calendars import SimulatedCalendars
from readout.simulation.cases import Incident, Policy, case_document
from readout.simulation.org import Org

__all__ = ["USERS", "RunStats", "run_events"]

ADMIN, LEADERS = "sim-admin", ("lead1", "lead2")
PMS = ("pm1", "pm2", "pm3")
COORDINATORS = ("coord1", "coord2")  # escalation-manager users who review and confirm
DUTY, ENGINEERING = ("duty1", "duty2"), ("eng1", "eng2")
_WAIVERS = {COVERAGE: DUTY, HANDOFF_WINDOW: ENGINEERING}


def _users() -> tuple[User, ...]:
    def user(uid: str, name: str, role: Role) -> User:
        return User(uid, name, f"{uid}@provider.example", frozenset({role}))

    return (
        user(ADMIN, "Simulation Administrator", Role.ADMINISTRATOR),
        *(user(u, f"Program Manager {n + 1}", Role.PROGRAM_MANAGER) for n, u in enumerate(PMS)),
        *(user(u, f"Coordinator {n + 1}", Role.ESCALATION_MANAGER) for n, u in enumerate(COORDINATORS)),
        *(user(u, f"Duty Manager {n + 1}", Role.DUTY_MANAGER) for n, u in enumerate(DUTY)),
        *(
            user(u, f"Engineering Manager {n + 1}", Role.ENGINEERING_MANAGER)
            for n, u in enumerate(ENGINEERING)
        ),
        *(user(u, f"Support Leader {n + 1}", Role.SUPPORT_LEADERSHIP) for n, u in enumerate(LEADERS)),
    )


USERS = _users()

# Median delays (hours) and log-normal sigmas of what people do; hazards per hour of booking over a slot.
OPEN_DELAY = (0.75, 1.0)
HOLD_DELAY = (0.15, 0.6)
PICK_DELAY = (6.0, 0.9)
CONFIRM_DELAY = (0.6, 0.7)
WAIVER_DELAY = (3.0, 1.0)
LEADERSHIP_DELAY = (5.0, 0.9)
REPLAN_DELAY = (2.0, 0.6)
OUTAGE_LENGTH = (4.0, 0.6)
BOOKING_HAZARD_HELD, BOOKING_HAZARD_FREE = 0.006, 0.03
WAIVER_APPROVAL_RATE, LEADERSHIP_APPROVAL_RATE = 0.85, 0.75
_MAX_STEPS = 40  # events per escalation before support leadership steps in


@dataclass
class RunStats:
    """What happened in the run besides what the store records (kept for the summary)."""

    events: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    outages: list[tuple[str, Interval]] = field(default_factory=list)  # the seeded ones
    cpu: dict[str, float] = field(
        default_factory=lambda: defaultdict(float)
    )  # CPU seconds spent on each kind of event
    finished: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": dict(sorted(self.events.items())),
            "refusals": dict(sorted(self.refusals.items())),
            "cpu_s": {kind: round(seconds, 2) for kind, seconds in sorted(self.cpu.items())},
            "outages": [
                {"calendar": key, "start": span.start.isoformat(), "end": span.end.isoformat()}
                for key, span in self.outages
            ],
        }


@dataclass
class _Run:
    """One escalation's progress in the run."""

    incident: Incident
    rng: random.Random
    gen: int = 0
    steps: int = 0
    target: Interval | None = None  # the slot the customer will pick
    picked: Interval | None = None
    digest: str | None = None
    done: bool = False
    replans: int = 0


class _VirtualClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _delay(rng: random.Random, spec: tuple[float, float]) -> timedelta:
    median, sigma = spec
    return timedelta(hours=min(rng.lognormvariate(math.log(median), sigma), 24 * 14))


class Engine:
    """Runs every incident's events in time order against ``deps`` (whose clock is ``clock``)."""

    def __init__(
        self,
        deps: Deps,
        clock: _VirtualClock,
        calendars: SimulatedCalendars,
        org: Org,
        incidents: list[Incident],
        policy: Policy,
        seed: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.deps, self.clock, self.calendars, self.org = deps, clock, calendars, org
        self.policy = policy
        self.runs = {i.escalation_id: _Run(i, random.Random(i.seed)) for i in incidents}
        self.stats = RunStats()
        self._heap: list[tuple[datetime, int, str, str, int, Any]] = []
        self._seq = 0
        self._reaps: set[datetime] = set()
        self._progress = progress
        for incident in incidents:
            run = self.runs[incident.escalation_id]
            self._at(incident.approved_at + _delay(run.rng, OPEN_DELAY), "open", run)
        self._outages(seed)

    # --- the heap ----------------------------------------------------------------------------------------

    def _push(self, at: datetime, kind: str, escalation_id: str, gen: int, data: Any = None) -> None:
        self._seq += 1
        at = at.replace(microsecond=0)  # people act on whole seconds: the log reads cleanly
        heapq.heappush(self._heap, (at, self._seq, kind, escalation_id, gen, data))

    def _at(self, at: datetime, kind: str, run: _Run, data: Any = None) -> None:
        self._push(at, kind, run.incident.escalation_id, run.gen, data)

    def _later(self, run: _Run, spec: tuple[float, float], kind: str, data: Any = None) -> None:
        self._at(self.clock.now + _delay(run.rng, spec), kind, run, data)

    def _outages(self, seed: int) -> None:
        """A calendar service down for a few hours, about once a week."""
        rng = random.Random(f"outages:{seed}")
        keys = sorted(self.org.calendars)
        weeks = max(1, (self.org.end - self.org.start).days // 7)
        for _ in range(weeks):
            key = rng.choice(keys)
            start = self.org.start + timedelta(
                hours=rng.uniform(0, (self.org.end - self.org.start).days * 24)
            )
            span = Interval(
                start,
                start
                + timedelta(
                    hours=min(
                        24.0, max(1.0, rng.lognormvariate(math.log(OUTAGE_LENGTH[0]), OUTAGE_LENGTH[1]))
                    )
                ),
            )
            self.calendars.outage(key, span)
            self.stats.outages.append((key, span))

    def run(self) -> RunStats:
        while self._heap:
            at, _seq, kind, escalation_id, gen, data = heapq.heappop(self._heap)
            self.clock.now = max(self.clock.now, at)
            began = time.process_time()
            if kind == "reap":
                self._reaps.discard(at)
                self._reap()
                self.stats.cpu["reap"] += time.process_time() - began
                continue
            run = self.runs[escalation_id]
            if run.done or (gen != run.gen and kind != "deadline"):
                continue
            self.stats.events[kind] += 1
            run.steps += 1
            if run.steps > _MAX_STEPS:
                self._cancel(run, "the simulation's step limit was reached: support leadership took it over")
                continue
            getattr(self, f"_{kind}")(run, data)
            self.stats.cpu[kind] += time.process_time() - began
        return self.stats

    def _reap(self) -> None:
        """The reaper's pass, when a live hold is past its expiry (a pass costs a look at every escalation's
        holds: ``holding.reconcile``; one with nothing to expire is skipped)."""
        with self.deps.look() as uow:
            due = uow.holds.expired(self.clock.now)
        if due:
            self.stats.events["reap"] += 1
            self._guard("reap", lambda: holding.reap(self.deps))

    def _guard(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ReadoutError as refusal:
            self.stats.refusals[f"{what}: {type(refusal).__name__}"] += 1
            return None

    # --- what people do ----------------------------------------------------------------------------------

    def _open(self, run: _Run, _data: Any) -> None:
        incident = run.incident
        document = case_document(self.org, incident, self.policy)
        outcome = self._guard("open", lambda: escalations.open_escalation(self.deps, document, _pm(incident)))
        if outcome is None:
            self._finish(run)
            return
        deadline = outcome.escalation.deadline
        if deadline is not None:
            self._push(deadline, "deadline", incident.escalation_id, -1)
        self._advance(run)

    def _advance(self, run: _Run) -> None:
        """Look at where the escalation stands and schedule the next person's step."""
        escalation_id = run.incident.escalation_id
        with self.deps.look() as uow:
            esc = uow.escalations.get(escalation_id)
            state = esc.state if esc is not None else State.CANCELLED
            live = sorted(
                (h.slot for h in uow.holds.of(escalation_id) if h.is_live(self.clock.now)),
                key=lambda s: s.start,
            )
            settled = state in (State.CONFIRMED, State.CANCELLED, State.EXCEPTION_REJECTED)
            waiting = state in (State.HELD, State.AWAITING_CONFIRMATION) and bool(live)
            plan = (
                None if settled or waiting else uow.plans.latest(escalation_id)
            )  # the plan is big: when needed
            asking = state in (State.EXCEPTION_REQUESTED, State.ESCALATED)
            requests = (
                [r for r in uow.exceptions.of(escalation_id) if r.decision is Decision.OPEN] if asking else []
            )
            eligible = eligible_slots(plan, uow.waivers.of(escalation_id)) if plan and not asking else []
        run.gen += 1
        if state in (State.CONFIRMED, State.CANCELLED):
            self._finish(run)
        elif state is State.EXCEPTION_REJECTED:
            self._later(run, LEADERSHIP_DELAY, "leadership_cancel")
        elif asking and plan is not None and plan.unknown:
            self.stats.events["unknown_people"] += 1
            self._later(run, REPLAN_DELAY, "replan")  # wait for the calendar to come back, then plan again
        elif asking and requests:
            self._decisions(run, requests[-1])
        elif waiting:
            self._expect_pick(run, live)
        elif eligible:
            if self.policy.holds_on:
                self._later(run, HOLD_DELAY, "hold")
            else:
                top = [e.slot for e in eligible[:3]]
                self._expect_pick(run, top, held=False)
        else:
            self._later(run, REPLAN_DELAY, "replan")

    def _expect_pick(self, run: _Run, slots: list[Interval], held: bool = True) -> None:
        """The customer will pick one of ``slots``; someone may book over it before then."""
        run.target = slots[0] if len(slots) == 1 or run.rng.random() < 0.6 else run.rng.choice(slots[1:])
        wait = _delay(run.rng, PICK_DELAY)
        hazard = BOOKING_HAZARD_HELD if held else BOOKING_HAZARD_FREE
        booked_after = timedelta(hours=run.rng.expovariate(hazard))
        if booked_after < wait:
            self._at(self.clock.now + booked_after, "book_over", run, run.target)
        self._at(self.clock.now + wait, "pick", run, run.target)

    def _hold(self, run: _Run, _data: Any) -> None:
        escalation_id = run.incident.escalation_id
        outcome = self._guard("hold", lambda: holding.hold_slots(self.deps, escalation_id, _pm(run.incident)))
        if outcome is not None:
            self._reap_at(outcome.live)
        self._advance(run)

    def _reap_at(self, holds: Any) -> None:
        for hold in holds:
            at = hold.expires_at
            at = at.replace(minute=(at.minute // 15) * 15, second=0, microsecond=0) + timedelta(minutes=15)
            if at not in self._reaps:
                self._reaps.add(at)
                self._push(at, "reap", "", 0)

    def _book_over(self, run: _Run, slot: Interval) -> None:
        """Someone books a meeting over ``slot`` on one of the attendees' calendars."""
        keys = [k for k in self._attendee_calendars(run) if not k.startswith("cab-")]
        if keys:
            self.calendars.book(run.rng.choice(keys), slot)
            self.stats.events["booked_over_slot"] += 1

    def _pick(self, run: _Run, slot: Interval) -> None:
        escalation_id, pm = run.incident.escalation_id, _pm(run.incident)
        with self.deps.look() as uow:
            live = {h.slot for h in uow.holds.of(escalation_id) if h.is_live(self.clock.now)}
        if not self.policy.holds_on and slot not in live:
            outcome = self._guard(
                "hold", lambda: holding.hold_slots(self.deps, escalation_id, pm, slot.start)
            )
            if outcome is None:
                self._advance(run)
                return
            self._reap_at(outcome.live)
            live = {h.slot for h in outcome.live}
        if slot not in live:
            if not live:  # every hold expired while the customer thought: hold again
                self.stats.events["holds_lost_before_pick"] += 1
                self._advance(run)
                return
            slot = min(live, key=lambda s: s.start)
        review = self._guard(
            "review",
            lambda: confirmation.review(self.deps, escalation_id, _coordinator(run.incident), slot.start),
        )
        if review is None:
            self._advance(run)
            return
        run.picked, run.digest = slot, review.packet.digest
        run.gen += 1
        self._later(run, CONFIRM_DELAY, "confirm")

    def _confirm(self, run: _Run, _data: Any) -> None:
        escalation_id, digest = run.incident.escalation_id, run.digest or ""
        user = _coordinator(run.incident)
        outcome = self._guard("confirm", lambda: confirmation.confirm(self.deps, escalation_id, user, digest))
        if outcome is not None and outcome.confirmed and run.picked is not None:
            for key in self._attendee_calendars(run):
                if not key.startswith("cab-"):
                    self.calendars.book(key, run.picked, escalation_id)  # the readout is now on calendars
        elif outcome is not None:
            self.stats.events["confirmation_refused"] += 1
        self._advance(run)

    def _decisions(self, run: _Run, request: ExceptionRequest) -> None:
        if request.route is Route.SUPPORT_LEADERSHIP:
            self._later(run, LEADERSHIP_DELAY, "leadership", request.id)
            return
        option = request.options[0] if request.options else None
        if option is None:
            self._later(run, LEADERSHIP_DELAY, "leadership_cancel")
            return
        for family in option.waivers:
            approvers = _WAIVERS.get(family)
            if approvers:
                self._later(
                    run,
                    WAIVER_DELAY,
                    "waiver",
                    (request.id, family, approvers[run.rng.randrange(len(approvers))]),
                )

    def _waiver(self, run: _Run, data: tuple[int, str, str]) -> None:
        _request_id, _family, user = data
        escalation_id = run.incident.escalation_id
        request = self._open_request(escalation_id)
        if request is None or not request.options:
            self._advance(run)
            return
        start = request.options[0].slot.start
        if run.rng.random() < WAIVER_APPROVAL_RATE:
            outcome = self._guard(
                "approve",
                lambda: exceptions.approve(
                    self.deps, escalation_id, user, start, "the nearest option is acceptable"
                ),
            )
            if outcome is not None and outcome.still_needed:
                return  # the other approver's answer is still to come
        else:
            self._guard(
                "reject",
                lambda: exceptions.reject(self.deps, escalation_id, user, "the waiver is not justified"),
            )
        self._advance(run)

    def _leadership(self, run: _Run, _data: Any) -> None:
        escalation_id = run.incident.escalation_id
        request = self._open_request(escalation_id)
        leader = LEADERS[run.rng.randrange(len(LEADERS))]
        if request is None:
            self._advance(run)
            return
        if not request.options:
            self._cancel(run, "no slot can meet the contract: a new date is agreed with the customer", leader)
            return
        if run.rng.random() < LEADERSHIP_APPROVAL_RATE:
            start = request.options[0].slot.start
            asked = run.rng.random() < 0.3
            self._guard(
                "approve",
                lambda: exceptions.approve(
                    self.deps,
                    escalation_id,
                    leader,
                    start,
                    "approved to keep the contract",
                    customer_asked=asked,
                ),
            )
        else:
            self._guard(
                "reject", lambda: exceptions.reject(self.deps, escalation_id, leader, "not acceptable")
            )
        self._advance(run)

    def _leadership_cancel(self, run: _Run, _data: Any) -> None:
        self._cancel(run, "support leadership agreed a new date with the customer outside the contract")

    def _replan(self, run: _Run, _data: Any) -> None:
        run.replans += 1
        escalation_id = run.incident.escalation_id
        self._guard(
            "plan",
            lambda: escalations.plan_escalation(
                self.deps, escalation_id, _pm(run.incident), "inputs may have changed"
            ),
        )
        self._advance(run)

    def _deadline(self, run: _Run, _data: Any) -> None:
        self._cancel(run, "the contractual deadline passed without a confirmed readout")

    def _cancel(self, run: _Run, reason: str, user: str | None = None) -> None:
        escalation_id = run.incident.escalation_id
        leader = user or LEADERS[run.incident.number % len(LEADERS)]
        self._guard("cancel", lambda: confirmation.cancel(self.deps, escalation_id, leader, reason))
        self._finish(run)

    # --- helpers -----------------------------------------------------------------------------------------

    def _finish(self, run: _Run) -> None:
        if not run.done:
            run.done = True
            run.gen += 1
            self.stats.finished += 1
            if self._progress is not None:
                self._progress(self.stats.finished)

    def _open_request(self, escalation_id: str) -> ExceptionRequest | None:
        with self.deps.look() as uow:
            found = [r for r in uow.exceptions.of(escalation_id) if r.decision is Decision.OPEN]
        return found[-1] if found else None

    def _attendee_calendars(self, run: _Run) -> list[str]:
        incident = run.incident
        ids = [
            incident.escalation_manager,
            incident.fix_owner,
            incident.customer.csd,
            incident.incident_manager,
            *([incident.optional] if incident.optional else []),
        ]
        return [pid for pid in ids if pid in self.org.calendars]


def _pm(incident: Incident) -> str:
    return PMS[incident.number % len(PMS)]


def _coordinator(incident: Incident) -> str:
    return COORDINATORS[incident.number % len(COORDINATORS)]


def run_events(
    deps: Deps,
    clock: _VirtualClock,
    calendars: SimulatedCalendars,
    org: Org,
    incidents: list[Incident],
    policy: Policy,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> RunStats:
    """Run every incident to its end (confirmed or cancelled) on the virtual clock."""
    return Engine(deps, clock, calendars, org, incidents, policy, seed, progress).run()
