"""An MQTT broker for the demo: Mosquitto when it is on PATH, else amqtt embedded.

`python -m simulators.broker --port N` runs the embedded one in the foreground.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
from pathlib import Path


def start_broker(port: int, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a broker on 127.0.0.1:port; returns the process and which broker it is."""
    mosquitto = shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")
    log = (workdir / "broker.log").open("ab")
    if mosquitto:
        conf = workdir / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        return subprocess.Popen([mosquitto, "-c", str(conf)], stdout=log, stderr=log), "mosquitto"
    cmd = [sys.executable, "-m", "simulators.broker", "--port", str(port)]
    return subprocess.Popen(cmd, stdout=log, stderr=log), "amqtt (embedded)"


async def _serve(port: int) -> None:
    from amqtt.broker import Broker

    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "auth": {"allow-anonymous": True},
        }
    )
    await broker.start()
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="embedded MQTT broker (amqtt)")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
