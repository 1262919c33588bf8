#!/usr/bin/env bash
# Installs the redis-server, mosquitto and PostgreSQL binaries (and chromium for the live map's browser test)
# from Debian's packages when they are missing.
# It only installs: the demo and the tests start their own servers on free loopback ports.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
# The history store (docs/history.md): Debian's binaries live in /usr/lib/postgresql/<ver>/bin.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# The live map's browser test drives Debian's headless Chromium (browser downloads do not work).
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing from Debian's packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packages start system services; this project never uses them, so leave them as Debian does.
    exit 0
fi
echo "missing: ${missing[*]}" >&2
echo "install them first:  sudo apt-get install -y ${missing[*]}" >&2
exit 1
