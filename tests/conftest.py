"""Every fixture of tests/fixtures/, one module per service, for every test; the names tests
import from here (`from ..conftest import Mosquitto, wait_until`) stay importable from here.

A missing service binary is an error, never a skip: CI must fail when it cannot test.
"""

from __future__ import annotations

from aedmon.demo import free_port

from .fixtures.browser import CHROMIUM_ARGS, browser, chromium
from .fixtures.databases import (
    POSTGRES_ADMIN,
    database_url,
    empty_database_url,
    engine,
    postgres_url,
    server_database,
    templates,
)
from .fixtures.mqtt import Mosquitto, Publisher, mosquitto
from .fixtures.oidc import IdentityProvider, ProviderStarter, identity_provider
from .fixtures.processes import Process, binary, port_open, processes, serve, wait_until
from .fixtures.server import (
    BridgeStarter,
    ServerProcess,
    TileServer,
    Tokens,
    aedmon_args,
    map_tiles,
    run_aedmon,
    server,
    start_bridge,
    start_server,
    tokens,
)
from .fixtures.tsdb import Influx1, VictoriaMetrics, influx1, victoria

__all__ = [
    "CHROMIUM_ARGS",
    "IdentityProvider",
    "ProviderStarter",
    "identity_provider",
    "POSTGRES_ADMIN",
    "engine",
    "BridgeStarter",
    "Influx1",
    "Mosquitto",
    "Process",
    "Publisher",
    "ServerProcess",
    "TileServer",
    "Tokens",
    "VictoriaMetrics",
    "aedmon_args",
    "run_aedmon",
    "binary",
    "browser",
    "chromium",
    "database_url",
    "empty_database_url",
    "free_port",
    "influx1",
    "map_tiles",
    "mosquitto",
    "port_open",
    "postgres_url",
    "processes",
    "serve",
    "server",
    "server_database",
    "templates",
    "start_bridge",
    "start_server",
    "tokens",
    "victoria",
    "wait_until",
]
