"""The FastAPI application factory: settings and clock in, app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app
from sqlalchemy import text

from server.api import alerts, devices, ingest, silences
from server.scheduler import build_scheduler
from server.settings import ServerSettings
from server.store.database import create_schema, make_engine, session_factory

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: ServerSettings, clock: Callable[[], datetime] = utc_now, *, run_scheduler: bool = True
) -> FastAPI:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    sessions = session_factory(engine)
    policy = settings.policy()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = build_scheduler(sessions, clock, policy, settings.evaluate_interval_s)
        if run_scheduler:
            scheduler.start()
        log.info("server ready", extra={"database": engine.url.render_as_string(hide_password=True)})
        yield
        if run_scheduler:
            scheduler.shutdown(wait=False)
        engine.dispose()

    app = FastAPI(title="aedmon", version="0.1.0", lifespan=lifespan)
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.policy = policy
    app.state.tokens = settings.token_roles
    app.state.engine = engine
    for router in (devices.router, ingest.router, alerts.router, silences.router):
        app.include_router(router)
    app.mount("/metrics", make_asgi_app())

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure means unhealthy, whatever its class
            log.error("health check failed", extra={"error": exc.__class__.__name__})
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": engine.dialect.name})

    return app
