"""The FastAPI application factory: settings and clock in, app out."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import make_asgi_app
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from aedmon import __version__, systemd
from aedmon.clock import Clock, utc_now
from aedmon.config import read_secret
from aedmon.protocols.broker import BrokerAddress
from server import store
from server.api import (
    alerts,
    audit,
    auth,
    communities,
    contacts,
    devices,
    enrolment,
    events,
    fields,
    ingest,
    inspections,
    keys,
    public,
    reports,
    setup,
    silences,
    sites,
    sso,
    stickers,
    users,
    whoami,
)
from server.api.deps import token_checker
from server.api.edge import Edge
from server.api.headers import SecurityHeaders
from server.health import Heartbeat, Pulse
from server.homeassistant.publisher import HomeAssistantPublisher, default_server_id
from server.notify import services
from server.notify.channels import Channel
from server.notify.mqtt import MqttChannel
from server.notify.notifier import Notifier
from server.notify.smtp import EmailChannel
from server.notify.webhook import WebhookChannel
from server.scheduler import Schedule, build_scheduler
from server.settings import ServerSettings
from server.store.database import create_schema, exclusive, make_engine, ping, session_factory
from server.store.retention import Retention
from server.web import routes as web_routes
from server.web import take as take_routes

log = logging.getLogger(__name__)

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>aedmon API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs-static/swagger-ui.css"><link rel="icon" href="/docs-static/favicon.png">
</head><body><div id="swagger-ui"></div>
<script src="/docs-static/swagger-ui-bundle.js"></script><script src="/static/docs.js"></script>
</body></html>
"""


def build_mailer(settings: ServerSettings) -> EmailChannel:
    return EmailChannel(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


def load_services(settings: ServerSettings) -> services.Holder:
    """The channels file's services (none without one); a file that does not read stops the start."""
    path = settings.channels_file
    return services.Holder(services.Services.load(path) if path is not None else None)


def build_notifier(
    settings: ServerSettings,
    sessions: sessionmaker[Session],
    clock: Clock,
    in_force: services.Holder | None = None,
) -> Notifier:
    """The notifier with its channels in fallback order: a contact's addresses on the
    installation's services, then webhook, e-mail, MQTT."""
    channels: list[Channel] = [
        WebhookChannel(settings.webhook_secret),
        build_mailer(settings),
        MqttChannel(settings.notify_mqtt),
    ]
    return Notifier(
        sessions,
        channels,
        clock,
        group_window=timedelta(seconds=settings.notify_group_window_s),
        interval_s=settings.notify_interval_s,
        default_time_zone=settings.time_zone,
        public_url=settings.public_url,
        workers=settings.notify_workers,
        attempt_deadline_s=settings.notify_deadline_s,
        services=in_force,
        link_key=settings.link_key(),
    )


def build_home_assistant(
    settings: ServerSettings, sessions: Any, clock: Clock
) -> HomeAssistantPublisher | None:
    """The Home Assistant publisher `--home-assistant` asks for, if it does."""
    if not settings.home_assistant:
        return None
    secret = settings.home_assistant_password_file
    broker = BrokerAddress.parse(
        settings.home_assistant,
        password=read_secret(secret, "--home-assistant-password-file") if secret else None,
        username=settings.home_assistant_user,
        option="--home-assistant",
    )
    return HomeAssistantPublisher(
        broker,
        sessions,
        clock,
        server_id=settings.home_assistant_server_id or default_server_id(socket.gethostname(), settings.port),
        prefix=settings.home_assistant_prefix,
        sites=settings.home_assistant_sites,
        areas=settings.home_assistant_areas,
        language=settings.home_assistant_language,
        interval_s=settings.home_assistant_interval_s,
    )


def _reload_on_hangup(in_force: services.Holder, path: Path | None) -> None:
    """SIGHUP reads the channels file again (every server its own copy)."""
    if path is None:
        return
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, services.reload, in_force, path)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread: no signals here
        log.info("SIGHUP does not reload the channels file in this process")


def create_app(settings: ServerSettings, clock: Clock = utc_now, *, background: bool = True) -> FastAPI:
    """The app; `background=False` leaves the scheduler and notifier threads to the caller."""
    engine = make_engine(settings.database_url)
    create_schema(engine)
    sessions = session_factory(engine)
    retention = Retention(settings.readings_keep_days, settings.compliance_keep_years)
    with exclusive(engine, "prune") as mine, sessions() as session:
        if mine:  # the readings' tables for today, after a server was down for days
            store.retention.make_tables(session, clock(), retention)
    policy = settings.policy()
    in_force = load_services(settings)
    notifier = build_notifier(settings, sessions, clock, in_force)
    home_assistant = build_home_assistant(settings, sessions, clock) if background else None
    pulse = Pulse(settings.evaluate_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        schedule = Schedule(
            evaluate_interval_s=settings.evaluate_interval_s,
            escalate_after=timedelta(minutes=settings.escalate_after_min),
            digest_hour=settings.digest_hour,
            time_zone=lambda: str(app.state.time_zone),
            retention=retention,
        )
        scheduler = build_scheduler(sessions, clock, policy, schedule, notifier, pulse)
        stop = threading.Event()
        if background:
            _reload_on_hangup(in_force, settings.channels_file)
            scheduler.start()
            notifier.start()
            if home_assistant is not None:
                home_assistant.start()
            systemd.start_watchdog(pulse.unwell, stop)
            if settings.heartbeat_url:
                Heartbeat(settings.heartbeat_url, settings.heartbeat_interval_s, pulse, stop).start()
        with sessions() as session:
            host = "localhost" if settings.host in ("0.0.0.0", "::", "127.0.0.1") else settings.host
            setup.offer(app.state.setup, session, settings.token_roles,
                        settings.public_url or f"http://{host}:{settings.port}")  # fmt: skip
        log.info("server ready", extra={"database": engine.url.render_as_string(hide_password=True)})
        yield
        if background:
            systemd.notify("STOPPING=1")
        app.state.hub.stop()
        stop.set()
        if background:
            scheduler.shutdown(wait=False)
            notifier.stop()
            if home_assistant is not None:
                home_assistant.stop()
        engine.dispose()

    # /docs: Swagger UI 5 (it reads OpenAPI 3.1) from the fastapi-offline package's own files,
    # so it works with no network outside; the page has no inline script (the CSP allows none)
    app = FastAPI(title="aedmon", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.mount(
        "/docs-static", StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-static"
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    app.state.sessions = sessions
    app.state.clock = clock
    app.state.policy = policy
    app.state.notifier = notifier
    app.state.services = in_force
    app.state.link_key = settings.link_key()
    app.state.tokens = settings.token_roles
    app.state.engine = engine
    app.state.map_tiles = (settings.map_tiles_url, settings.map_attribution)
    app.state.setup = setup.SetupLink()
    with sessions() as session:  # the zone its first administrator chose, if set up in the browser
        made = setup.installation(session)
        app.state.time_zone = (made.time_zone if made else None) or settings.time_zone
    app.state.public_url = settings.public_url
    app.state.mailer = build_mailer(settings)  # invitations (notifications have their own)
    app.state.hub = events.Hub(sessions, clock)  # the pages' event streams, started by the first
    sso.install(app, settings)
    for router in (
        enrolment.router,
        devices.router,
        ingest.router,
        alerts.router,
        silences.router,
        contacts.router,
        public.router,
        reports.router,
        inspections.router,
        whoami.router,
        fields.router,
        sites.router,
        setup.router,
        keys.router,
        users.router,
        auth.router,
        audit.router,
        stickers.router,
        sso.router,
        events.router,
        communities.router,
    ):
        app.include_router(router)
    app.include_router(web_routes.router)
    app.include_router(take_routes.router)
    app.mount("/static", StaticFiles(directory=web_routes.HERE / "static"), name="static")
    app.mount("/metrics", make_asgi_app())
    known = token_checker(sessions, app.state.tokens, clock)
    app.add_middleware(
        Edge, max_body_bytes=settings.max_body_bytes, import_max_bytes=settings.import_max_bytes, known=known
    )
    app.add_middleware(SecurityHeaders, tiles=settings.map_tiles_url)  # outermost: on every answer

    @app.exception_handler(DataError)
    def value_the_store_refuses(request: Request, exc: DataError) -> JSONResponse:
        # The schemas bound every value; a store that still refuses one is a bound we missed:
        # the client hears it was its value, and the log says which route.
        log.error("store refused a value", extra={"path": request.url.path[:200]})
        return JSONResponse({"detail": "a value is outside what the store accepts"}, status_code=422)

    @app.exception_handler(OperationalError)
    def store_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # The database is busy or away: nothing was decided, so the client tries again (a
        # bridge keeps its batch), rather than taking anything as refused.
        log.warning("store unavailable", extra={"path": request.url.path[:200], "error": str(exc.orig)[:200]})
        return JSONResponse({"detail": "the store is unavailable; try again"}, status_code=503,
                            headers={"Retry-After": "1"})  # fmt: skip

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        try:
            ping(engine)
        except Exception as exc:  # any database failure means unhealthy, whatever its class
            log.error("health check failed", extra={"error": exc.__class__.__name__})
            return JSONResponse(
                {"status": "error", "database": "unreachable", "version": __version__}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": engine.dialect.name, "version": __version__})

    return app
