"""The only place that picks adapters (from ``Settings``, read from the environment).

Each factory imports its adapters when called, so a command loads only the outside systems it uses:
``readout plan CASE`` never imports the store (SQLAlchemy), SMTP or CalDAV, nor HTTP unless a case names
a feed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from readout.config import Settings, load_settings

if TYPE_CHECKING:
    from readout.adapters.casefile.built_cases import BuiltCases
    from readout.domain.case_document import CaseDocument, LoadedCase
    from readout.services.context import Deps
    from readout.services.notify import Notifier
    from readout.services.ports import CalendarReader, Channel, HoldCalendar, InviteSender, UnitOfWork

__all__ = ["calendar_reader", "clock", "settings", "workflow_deps"]


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default: this process's environment)."""
    return load_settings(os.environ if environ is None else environ)


def calendar_reader(config: Settings | None = None) -> CalendarReader:
    """Local ``.ics`` files, ``.ics`` feeds over HTTP(S) and CalDAV collections, by source."""
    from readout.adapters.routing import RoutingCalendarReader

    config = config or settings()

    def files() -> CalendarReader:
        from readout.adapters.ics.files import IcsFileReader

        return IcsFileReader()

    def feeds() -> CalendarReader:
        from readout.adapters.http.feeds import HttpIcsReader

        return HttpIcsReader(
            config.calendars,
            config.source_timeout,
            config.http_max_bytes,
            config.cache_dir,
            policy=config.outbound,
        )

    def caldav() -> CalendarReader:
        from readout.adapters.caldav.busy import CalDavReader

        return CalDavReader(
            config.calendars, config.source_timeout, config.http_max_bytes, policy=config.outbound
        )

    return RoutingCalendarReader(files, feeds, caldav)


def hold_calendar(config: Settings, reader: CalendarReader) -> HoldCalendar:
    """Holds on CalDAV collections (each internal role holder's Readout may write to, or the organizer's);
    any other calendar keeps them in the ledger only (the adapter writes nothing and gives back no reference,
    so nothing is recorded or shown as if it were on someone's calendar)."""
    from readout.adapters.ledger_only import LedgerOnlyHoldCalendar
    from readout.adapters.routing import RoutingHoldCalendar

    def caldav() -> HoldCalendar:
        from readout.adapters.caldav.holds import CalDavHoldCalendar

        return CalDavHoldCalendar(config.calendars, config.source_timeout, reader, policy=config.outbound)

    return RoutingHoldCalendar(caldav, LedgerOnlyHoldCalendar())


def invite_sender(config: Settings, now: Callable[[], datetime]) -> InviteSender | None:
    """iMIP over the configured SMTP relay; None when there is none (nothing is sent)."""
    if config.smtp is None:
        return None
    from readout.adapters.mail.smtp import SmtpInviteSender

    return SmtpInviteSender(config.smtp, now)


class _CaseFiles:
    """The case-file builder, imported when a command first builds a case (status and list never do).
    Documents posted to the API are held to the calendar root and the outbound policy (docs/intake.md). A
    document built once is kept for a minute (casefile/built_cases.py): a service re-plans without building
    the same stored document again."""

    def __init__(self, config: Settings) -> None:
        self._config = config
        self._built: BuiltCases | None = None

    def build(self, document: CaseDocument) -> LoadedCase:
        if self._built is None:
            from readout.adapters.casefile.built_cases import BuiltCases
            from readout.adapters.casefile.loader import CaseFileBuilder

            self._built = BuiltCases(CaseFileBuilder(self._config.calendar_root, self._config.outbound).build)
        return self._built.build(document)


def clock(now: datetime | None = None) -> Callable[[], datetime]:
    """The wall clock in UTC, or a fixed instant (``--now``) for rehearsals, demos and tests."""
    if now is not None:
        fixed = now.astimezone(UTC)
        return lambda: fixed
    return lambda: datetime.now(UTC)


def unit_of_work_factories(
    config: Settings, environ: Mapping[str, str]
) -> tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork]]:
    """SQL store at ``READOUT_DATABASE_URL`` (default: an embedded SQLite file), migrated to head: units of
    work that change it, and read-only ones that never take SQLite's write lock (status, list, audit)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, default_database_url, migrate
    from readout.adapters.sql.failures import bad_url, store_failure

    try:
        url = config.database_url or default_database_url(environ)
    except OSError as error:  # the default folder cannot be made
        raise store_failure(error, "sqlite:///(default data folder)") from None
    try:
        engine = create_engine_from_url(url)
    except (ArgumentError, ValueError):
        raise bad_url(url) from None
    except ImportError:  # a URL naming a driver Readout does not ship
        raise bad_url(url) from None
    try:
        migrate(engine)
    except DBAPIError as error:
        raise store_failure(error, url) from None
    return (lambda: SqlUnitOfWork(engine)), (lambda: SqlUnitOfWork(engine, read_only=True))


def workflow_deps(now: datetime | None = None, environ: Mapping[str, str] | None = None) -> Deps:
    """Adapters for the workflow commands, chosen by the settings."""
    from readout.services.context import Deps

    environ = os.environ if environ is None else environ
    config = load_settings(environ)
    reader = calendar_reader(config)
    when = clock(now)
    changing, looking = unit_of_work_factories(config, environ)
    return Deps(
        uow=changing,
        view=looking,
        reader=reader,
        holds=hold_calendar(config, reader),
        clock=when,
        pinned=now is not None,
        cases=_CaseFiles(config),
        invites=invite_sender(config, when),
        source_timeout=config.source_timeout,
        channel=_channel(config),
        notifier=_notifier(config, when),
    )


def _notifier(config: Settings, now: Callable[[], datetime]) -> Notifier | None:
    """E-mail notifications and reminders over the configured SMTP relay; None when there is none."""
    if config.smtp is None:
        return None
    from readout.adapters.mail.notify import SmtpNotifier

    return SmtpNotifier(config.smtp, now)


def _channel(config: Settings) -> Channel | None:
    """Where channel messages go (docs/leadership-channel.md): the Slack bot (``READOUT_SLACK_*``) or an
    incoming webhook (``READOUT_CHANNEL_WEBHOOK_URL``), and the signed events webhook
    (``READOUT_EVENTS_WEBHOOK_*``) too when set; None when nothing is configured."""
    if config.events_webhook is None:
        return _slack_channel(config) or _incoming_webhook(config)
    from readout.adapters.webhook import EventsWebhookChannel, FanOutChannel

    events = EventsWebhookChannel(config.events_webhook, config.outbound, config.source_timeout)
    if config.slack is not None:  # still a SlackChannel: the interactions endpoint answers clicks through it
        from readout.adapters.webhook.slack_events import SlackWithEvents

        return SlackWithEvents(config.slack, events)
    incoming = _incoming_webhook(config)
    return events if incoming is None else FanOutChannel(incoming, events)


def _incoming_webhook(config: Settings) -> Channel | None:
    """The notify-only incoming webhook when ``READOUT_CHANNEL_WEBHOOK_URL`` sets one."""
    if config.channel_webhook is None:
        return None
    from readout.adapters.webhook import IncomingWebhookChannel

    return IncomingWebhookChannel(config.channel_webhook, config.outbound, config.source_timeout)


def _slack_channel(config: Settings) -> Channel | None:
    """The leadership channel in Slack when ``READOUT_SLACK_*`` configure one (docs/leadership-channel.md)."""
    if config.slack is None:
        return None
    from readout.adapters.slack import SlackChannel

    return SlackChannel(config.slack)
