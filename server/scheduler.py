"""APScheduler jobs for what time alone changes (pads expiring overnight, say)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from server.ingest import evaluate_all
from server.notify.outbox import Notifier
from server.rules.facts import Policy

log = logging.getLogger(__name__)


def build_scheduler(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    policy: Policy,
    interval_s: float,
    notifier: Notifier,
) -> BackgroundScheduler:
    def run_rules() -> None:
        with sessions() as session:
            count = evaluate_all(session, clock(), policy)
        notifier.wake()
        log.debug("time-driven rules ran", extra={"devices": count})

    scheduler = BackgroundScheduler(timezone="UTC")
    # coalesce + one instance: a slow run or a pause never fires a burst of catch-up runs
    scheduler.add_job(
        run_rules, "interval", seconds=interval_s, id="evaluate", coalesce=True, max_instances=1
    )
    return scheduler
