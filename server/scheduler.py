"""APScheduler jobs for what time alone changes (pads expiring overnight, say)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from aedmon.clock import Clock
from server import store
from server.evaluation import evaluate_due
from server.health import Pulse
from server.notify import planning
from server.notify.notifier import Notifier
from server.rules.facts import Policy
from server.store.database import exclusive
from server.store.retention import Retention

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    evaluate_interval_s: float = 300
    escalate_after: timedelta = timedelta(minutes=15)
    digest_hour: int = 7  # local, in each site's time zone
    time_zone: Callable[[], str] = lambda: "UTC"  # the installation's default zone, as it is now
    retention: Retention = Retention(readings_days=30, compliance_years=10)


def build_scheduler(
    sessions: sessionmaker[Session],
    clock: Clock,
    policy: Policy,
    schedule: Schedule,
    notifier: Notifier,
    pulse: Pulse | None = None,
) -> BackgroundScheduler:
    """The jobs. None keeps state in the scheduler: each decides from the database and
    plans notifications under unique keys, so a restart (or a second server) neither
    misses a day's digest nor sends one twice. Each run is also taken by one server at a
    time (an advisory lock on PostgreSQL): the others skip it rather than repeat it."""
    engine = sessions.kw["bind"]

    def run_rules() -> None:
        with exclusive(engine, "evaluate") as mine:
            if not mine:  # another server evaluates now; this one reached the database to know
                if pulse is not None:
                    pulse.beat()
                return
            with sessions() as session:
                count = evaluate_due(session, clock(), policy)
        if pulse is not None:
            pulse.beat()
        notifier.wake()
        log.debug("time-driven rules ran", extra={"devices": count})

    def run_escalation() -> None:
        with exclusive(engine, "escalate") as mine:
            if not mine:
                return
            with sessions() as session:
                stale = planning.plan_escalations(session, clock(), schedule.escalate_after)
        if stale:
            notifier.wake()

    def run_digest() -> None:
        with exclusive(engine, "digest") as mine:
            if not mine:
                return
            with sessions() as session:
                planned = planning.plan_digests(session, clock(), schedule.digest_hour, schedule.time_zone())
        if planned:
            log.info("daily digests planned", extra={"count": planned})
            notifier.wake()

    def run_recount() -> None:
        with exclusive(engine, "recount") as mine:
            if mine:
                with sessions() as session:
                    store.snapshots.recount(session)

    def run_prune() -> None:
        with exclusive(engine, "prune") as mine:
            if not mine:
                return
            with sessions() as session:
                pruned = store.retention.prune(session, clock(), schedule.retention)
        if any(pruned.values()):
            log.info("old data pruned", extra=pruned)

    scheduler = BackgroundScheduler(timezone="UTC")
    # coalesce + one instance: a slow run or a pause never fires a burst of catch-up runs
    options = {"coalesce": True, "max_instances": 1}
    scheduler.add_job(run_rules, "interval", seconds=schedule.evaluate_interval_s, id="evaluate", **options)
    scheduler.add_job(run_escalation, "interval", seconds=30, id="escalate", **options)
    scheduler.add_job(run_digest, "interval", minutes=10, id="digest", **options)
    # the sites' counts are kept with each change; once an hour they are made again from the
    # snapshots, so no drift (a bug, a hand edit of the database) outlives the hour
    scheduler.add_job(run_recount, "interval", hours=1, id="recount", **options)
    # what passed its retention goes a chunk at a time; hourly, so a day's worth is never much
    scheduler.add_job(run_prune, "interval", hours=1, id="prune", **options)
    return scheduler
