#!/bin/sh
# Install aedmon from this source tree: one virtual environment, the aedmon user, its settings,
# state and backup directories, the systemd units. Run as root on Debian (the README's
# "Install" section), or as the container image's one build step (Dockerfile).
#
#   scripts/install/install.sh [--prefix /opt/aedmon] [--etc /etc/aedmon] [--state /var/lib/aedmon]
#                              [--backups /var/backups/aedmon] [--units /etc/systemd/system]
#                              [--user aedmon | --no-user] [--no-units]
#
# It never overwrites a settings file that is there; run again to upgrade the code in place
# (then `aedmon migrate --check --config /etc/aedmon/server.toml`, and restart the services).
set -eu

SOURCE=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=/opt/aedmon
ETC=/etc/aedmon
STATE=/var/lib/aedmon
BACKUPS=/var/backups/aedmon
UNITS=/etc/systemd/system
USER_NAME=aedmon
WITH_UNITS=yes

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --etc) ETC=$2; shift 2 ;;
        --state) STATE=$2; shift 2 ;;
        --backups) BACKUPS=$2; shift 2 ;;
        --units) UNITS=$2; shift 2 ;;
        --user) USER_NAME=$2; shift 2 ;;
        --no-user) USER_NAME=; shift ;;
        --no-units) WITH_UNITS=; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { echo "[install] $*" >&2; }

# Python 3.11+ with venv: Debian's python3 and python3-venv when missing (as root).
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        say "needs Python 3.11+ with venv: apt-get install python3 python3-venv (as root)"
        exit 1
    fi
    say "installing Python (Debian: python3, python3-venv)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 python3-venv
fi

say "aedmon into $PREFIX"
[ -x "$PREFIX/bin/python" ] || python3 -m venv "$PREFIX"
"$PREFIX/bin/python" -m pip install -q --upgrade pip
"$PREFIX/bin/python" -m pip install -q "$SOURCE[server,bridge]"
"$PREFIX/bin/aedmon" --version

if [ -n "$USER_NAME" ] && ! id "$USER_NAME" >/dev/null 2>&1; then
    say "the $USER_NAME system user"
    useradd --system --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
    if getent group dialout >/dev/null; then usermod -a -G dialout "$USER_NAME"; fi
fi

# Settings: the examples, with this installation's directories, never over a file that is there.
mkdir -p "$ETC" "$STATE" "$BACKUPS"
for example in server.toml bridge-site.toml; do
    target="$ETC/$example"
    [ "$example" = bridge-site.toml ] && target="$ETC/bridge-town-hall.toml.example"
    if [ ! -e "$target" ]; then
        sed -e "s#/var/lib/aedmon#$STATE#g" -e "s#/etc/aedmon#$ETC#g" \
            "$SOURCE/scripts/install/etc/$example" > "$target"
    fi
done
chmod 0750 "$ETC" "$STATE" "$BACKUPS"
if [ -n "$USER_NAME" ]; then
    chown -R "root:$USER_NAME" "$ETC"
    chown "$USER_NAME:$USER_NAME" "$STATE" "$BACKUPS"
fi

if [ -n "$WITH_UNITS" ]; then
    say "systemd units into $UNITS"
    mkdir -p "$UNITS"
    for unit in "$SOURCE"/scripts/install/systemd/*; do
        sed -e "s#/opt/aedmon#$PREFIX#g" -e "s#/etc/aedmon#$ETC#g" -e "s#/var/backups/aedmon#$BACKUPS#g" \
            "$unit" > "$UNITS/$(basename "$unit")"
    done
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi

say "done. Next: edit $ETC/server.toml, check it (aedmon config check), then"
say "  systemctl enable --now aedmon-server aedmon-backup.timer"
say "  (a bridge per site: $ETC/bridge-SITE.toml, systemctl enable --now aedmon-bridge@SITE)"
