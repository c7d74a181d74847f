#!/usr/bin/env bash
# The Debian package, installed for real (make test calls this; CI runs as root on a throwaway
# machine). Builds it, installs it with dpkg -i, checks the user, the state directory and the
# conffile, runs `systemd-analyze verify` on the unit, runs the unit's own ExecStart as user
# licsat (with --listen 127.0.0.1:0 --port-file appended) and asks /healthz, then `dpkg -r`
# (data kept) and `dpkg -P` (data gone).
#
#   bash scripts/test-deb.sh [BUILD_DIR]          (default: build)
#
# Skipped, exit 0 with a message, when not root, when a licsat package is already installed or
# /var/lib/licsat already exists (this test must not touch an operator's data).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
say() { echo "test-deb: $*"; }
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then say "skipped: dpkg -i needs root (CI runs this as root)"; exit 0; fi
if dpkg-query -W -f='${Status}' licsat 2>/dev/null | grep -q 'installed\|config-files'; then
  say "skipped: a licsat package is already on this machine"; exit 0
fi
if [[ -e /var/lib/licsat ]]; then say "skipped: /var/lib/licsat exists and is not this test's"; exit 0; fi

deb=$(bash scripts/build-deb.sh "$build" | tail -1)
say "built $deb ($(du -h "$deb" | cut -f1))"
depends=$(dpkg-deb -f "$deb" Depends)
say "Depends: $depends"
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  dpkg -P licsat >/dev/null 2>&1 || true
}
trap cleanup EXIT

dpkg -i "$deb" >/dev/null || fail "dpkg -i"
getent passwd licsat >/dev/null || fail "no user licsat"
[[ $(stat -c '%a %U' /var/lib/licsat) == "700 licsat" ]] || fail "/var/lib/licsat is $(stat -c '%a %U' /var/lib/licsat)"
dpkg-query -W -f='${Conffiles}' licsat | grep -q '/etc/licsat/licsat.toml' || fail "licsat.toml is not a conffile"
unit=/lib/systemd/system/licsat.service
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z $verify ]] || say "systemd-analyze verify says: $verify"
say "installed: user licsat, /var/lib/licsat 0700, conffile, unit verified"

# The unit's command line, as the unit's user.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
port_file=/var/lib/licsat/test-port
runuser -u "$user" -- env LICSAT_ADMIN_PASSWORD=deb-test-admin-password $exec_start --listen 127.0.0.1:0 \
  --port-file "$port_file" >/tmp/licsat-test-deb.log 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  [[ -s $port_file ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat /tmp/licsat-test-deb.log >&2; fail "the server exited"; }
  sleep 0.1
done
[[ -s $port_file ]] || fail "no port file after 30 s"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert /var/lib/licsat/tls/cert.pem \
  "https://localhost:$(cat "$port_file")/healthz")
[[ $code == 200 ]] || fail "/healthz answered $code"
[[ $(stat -c '%U' /var/lib/licsat/licsat.db) == licsat ]] || fail "the store is not owned by licsat"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
say "ran '$exec_start' as $user: /healthz 200"

dpkg -r licsat >/dev/null || fail "dpkg -r"
[[ ! -e /usr/bin/licsat ]] || fail "/usr/bin/licsat left after dpkg -r"
[[ -f /var/lib/licsat/licsat.db ]] || fail "dpkg -r removed the data"
[[ -f /etc/licsat/licsat.toml ]] || fail "dpkg -r removed the conffile"
dpkg -P licsat >/dev/null || fail "dpkg -P"
[[ ! -e /var/lib/licsat ]] || fail "dpkg -P left /var/lib/licsat"
[[ ! -e /etc/licsat ]] || fail "dpkg -P left /etc/licsat"
say "dpkg -r kept the data, dpkg -P removed it: passed"
