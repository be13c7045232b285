"""Every configuration mistake is one line that says what is wrong and how to fix it, exit
code 2, and never a secret; secrets come from files so that none is in `ps`."""

from __future__ import annotations

from pathlib import Path

import pytest

from aedmon.demo import free_port

from .. import factories
from ..conftest import run_aedmon

SECRET = "s3cr3t-token-never-printed"


aedmon = run_aedmon


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["server", "--log-level", "loud"], {}, "--log-level"),  # (no tokens at all: the setup link)
        (["server"], {"AEDMON_TOKENS": f"admin:{SECRET[:10]}"}, "shorter than 16"),
        (["server"], {"AEDMON_TOKENS": f"root:{SECRET}"}, "unknown role"),
        (["server", "--port", "eighty"], {"AEDMON_TOKENS": f"admin:{SECRET}"}, "--port"),
        (
            ["server", "--database-url", "nonsense://x"],
            {"AEDMON_TOKENS": f"admin:{SECRET}"},
            "--database-url",
        ),
        (
            ["server", "--database-url", f"postgresql://postgres@127.0.0.1:{free_port()}/none"],
            {"AEDMON_TOKENS": f"admin:{SECRET}"},
            "cannot use the database",
        ),
        (["server", "--tokens-file", "/nonexistent/tokens"], {}, "cannot read --tokens-file"),
        (["bridge", "--site", "s", "--server", "http://127.0.0.1:1"], {}, "no bridge token"),
        (
            ["bridge", "--site", "s", "--server", "http://x", "--token-file", "/nonexistent"],
            {},
            "--token-file",
        ),
        (["bridge", "--site", "bad site", "--server", "http://x"], {"AEDMON_TOKEN": SECRET}, "--site"),
    ],
)
def test_a_configuration_mistake_is_one_line_with_exit_code_2(
    args: list[str], env: dict[str, str], says: str
) -> None:
    result = aedmon(*args, env=env)
    assert result.returncode == 2, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("aedmon ")]
    assert len(said) == 1, result.stderr
    assert says in said[0]
    assert "Traceback" not in result.stderr
    assert SECRET[:6] not in result.stderr + result.stdout


def test_the_bridge_takes_its_token_from_a_file(tmp_path: Path) -> None:
    from firmware_bridge.settings import BridgeSettings

    (tmp_path / "token").write_text(SECRET + "\n")
    settings = BridgeSettings(site="s", server="http://x", token_file=tmp_path / "token")
    assert settings.token == SECRET
    assert SECRET not in repr(settings)


def test_dead_letters_are_listed_and_requeued_from_the_command_line(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from aedmon.reading import ReadingType
    from firmware_bridge.outbox import Entry, Outbox

    now = datetime.now(UTC)
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    box.append(factories.reading(ReadingType.HEARTBEAT, device="A", site="s", at=now))
    entry = box.batch("server", 1)[0]
    box.advance("server", [entry.id], [(Entry(entry.id, entry.reading), "rejected: bad field")])
    box.close()
    listed = aedmon("bridge", "dead-letters", "--outbox", str(tmp_path / "o.db"))
    assert listed.returncode == 0, listed.stderr
    assert "A|heartbeat|1|" in listed.stdout
    assert "rejected: bad field" in listed.stdout
    requeued = aedmon("bridge", "dead-letters", "--outbox", str(tmp_path / "o.db"), "--requeue", "all")
    assert "re-queued 1" in requeued.stdout
    assert Outbox(tmp_path / "o.db", sinks=["server"]).depth("server") == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_that_dies_ends_the_bridge_with_exit_code_70(tmp_path: Path) -> None:
    import threading

    from firmware_bridge.daemon import EXIT_WORKER_DIED, Bridge
    from firmware_bridge.settings import BridgeSettings

    bridge = Bridge(
        BridgeSettings(site="s", server="http://127.0.0.1:1", token=SECRET, outbox=tmp_path / "o.db")
    )

    def broken() -> None:
        raise RuntimeError("a bug no message handler caught")

    worker = threading.Thread(target=broken, name="drain-test", daemon=True)
    bridge._supervise(worker)
    worker.start()
    worker.join(5)
    assert bridge.stop_event.is_set()
    assert bridge.exit_code == EXIT_WORKER_DIED
    bridge.outbox.close()


def test_the_broker_password_comes_from_a_file_and_stays_out_of_the_url(tmp_path: Path) -> None:
    from aedmon.protocols.broker import BrokerAddress
    from firmware_bridge.settings import BridgeSettings

    (tmp_path / "mqtt").write_text(SECRET)
    settings = BridgeSettings(site="s", server="http://x", token=SECRET, mqtt="mqtt://bridge@127.0.0.1:1883",
                              mqtt_password_file=tmp_path / "mqtt")  # fmt: skip
    address = BrokerAddress.parse(settings.mqtt or "", password=settings.mqtt_password)
    assert (address.username, address.password) == ("bridge", SECRET)
    assert SECRET not in str(address) + repr(settings)


def test_each_bridge_heartbeat_says_its_version_and_an_unstarted_bridge_is_not_well(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from aedmon import __version__
    from firmware_bridge.daemon import Bridge
    from firmware_bridge.settings import BridgeSettings

    bridge = Bridge(
        BridgeSettings(site="s", server="http://127.0.0.1:1", token=SECRET, outbox=tmp_path / "o.db")
    )
    beat = bridge._report(datetime(2026, 12, 7, tzinfo=UTC), 0)
    assert beat.extra["version"] == __version__
    assert bridge.unwell() is not None  # its workers are not running yet: never fed as well
    bridge.outbox.close()
