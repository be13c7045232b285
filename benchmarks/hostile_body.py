"""What a hostile body costs the server: peak memory (VmHWM) of a real `aedmon server`
process (SQLite) after a 150 MB POST without a token and a 50 MB POST with the bridge token,
and the time of the device list afterwards. `--source DIR` runs the server from another
checkout of aedmon, so two versions are measured side by side in one run:

    git worktree add /tmp/aedmon-before <commit>
    .venv/bin/python benchmarks/hostile_body.py --source /tmp/aedmon-before --source .
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from databases import wait_healthy

from aedmon.demo import free_port

CHUNK = b" " * (1 << 20)


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def body(mib: int) -> Iterator[bytes]:
    yield b'{"readings": [{"device_id": "SN1", "detail": "'
    for _ in range(mib):
        yield CHUNK
    yield b'"}]}'


def measure(source: Path) -> dict[str, float]:
    tokens = {role: secrets.token_urlsafe(18) for role in ("viewer", "bridge", "admin")}
    work = Path(tempfile.mkdtemp(prefix="aedmon-hostile-"))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(source.resolve()),
        "AEDMON_TOKENS": ",".join(f"{role}:{token}" for role, token in tokens.items()),
        "AEDMON_LOG_LEVEL": "WARNING",
    }
    args = [sys.executable, "-m", "aedmon", "server", "--port", str(port),
            "--database-url", f"sqlite:///{work / 'a.db'}"]  # fmt: skip
    server = subprocess.Popen(args, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        result = {"idle MiB": peak_mib(server.pid)}
        with httpx.Client(base_url=base, timeout=120) as client:
            for label, mib, headers in (
                ("150 MB, no token", 150, {}),
                ("50 MB, bridge token", 50, {"Authorization": f"Bearer {tokens['bridge']}"}),
            ):
                try:
                    answer = client.post("/api/v1/ingest", content=body(mib), headers=headers).status_code
                except httpx.HTTPError as exc:  # refused before the body was read: the socket closes
                    answer = exc.__class__.__name__  # type: ignore[assignment]
                result[f"{label}: answer"] = answer  # type: ignore[assignment]
                result[f"{label}: peak MiB"] = peak_mib(server.pid)
            started = time.perf_counter()
            client.get("/api/v1/devices", headers={"Authorization": f"Bearer {tokens['viewer']}"})
            result["device list ms"] = (time.perf_counter() - started) * 1000
        return result
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", type=Path, default=[])
    args = parser.parse_args()
    sources = args.source or [Path(".")]
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for source in sources:
        print(f"\n{source}")
        for key, value in measure(source).items():
            print(f"  {key:28} {value:.1f}" if isinstance(value, float) else f"  {key:28} {value}")


if __name__ == "__main__":
    main()
