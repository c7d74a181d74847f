#!/usr/bin/env bash
# Browser tests of the Admin Workspace: starts `licsat serve` on a loopback port with a fresh data
# directory, drives Debian's Chromium (/usr/bin/chromium, headless) with playwright-core, stops the
# server. Exit status: 0 when every case passes.
#
#   LICSAT_BINARY=build/licsat tests/browser/run.sh
#
# Screenshots and the server log land in tests/browser/artifacts/ (gitignored).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${LICSAT_BINARY:?set LICSAT_BINARY to the licsat executable}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

fail() { echo "browser tests: $*" >&2; exit 1; }
[[ -x "$LICSAT_BINARY" ]] || fail "LICSAT_BINARY=$LICSAT_BINARY is not an executable"
command -v node >/dev/null || fail "node is missing (scripts/install-deps.sh installs nodejs and npm)"
command -v npm >/dev/null || fail "npm is missing (scripts/install-deps.sh installs nodejs and npm)"
[[ -x "$CHROMIUM" ]] || fail "$CHROMIUM is missing (scripts/install-deps.sh installs chromium)"
command -v curl >/dev/null || fail "curl is missing"

# npm dependencies, exactly as locked; skipped when the installed version already matches.
cd "$here"
want=$(node -e 'console.log(require("./package-lock.json").packages["node_modules/playwright-core"].version)')
have=$(node -e 'try{console.log(require("./node_modules/playwright-core/package.json").version)}catch{console.log("")}')
if [[ "$want" != "$have" ]]; then
  echo "browser tests: npm ci (playwright-core $want)"
  # playwright-core downloads no browser; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD makes sure of it.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

artifacts="$here/artifacts"
mkdir -p "$artifacts"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/licsat-browser.XXXXXX")
server_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    # SIGTERM first; the server drains connections up to its shutdown deadline (20 s), which a
    # throwaway test server need not wait for.
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [[ -f "$tmp/server.log" ]] && cp "$tmp/server.log" "$artifacts/server.log"
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT INT TERM

# A password that meets any reasonable policy; only this throwaway server knows it.
export LICSAT_ADMIN_PASSWORD="Browser-Test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
# One-second usage history buckets, so that the Licenses case's reports a second apart make
# separate points of the usage chart (the default is one point per pool and hour).
printf '[usage_history]\nbucket = "1s"\n' >"$tmp/licsat.toml"
"$LICSAT_BINARY" serve --data "$tmp/data" --config "$tmp/licsat.toml" --listen 127.0.0.1:0 --port-file "$tmp/port" \
  >"$tmp/server.log" 2>&1 &
server_pid=$!

port=""
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; fail "licsat serve exited early"; }
  if [[ -s "$tmp/port" ]]; then
    port=$(tr -d ' \n' <"$tmp/port")
    if curl -ksf --max-time 2 "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  fi
  sleep 0.1
done
[[ -n "$port" ]] && curl -ksf --max-time 2 "https://127.0.0.1:$port/healthz" >/dev/null ||
  { cat "$tmp/server.log" >&2; fail "licsat serve did not become ready"; }
echo "browser tests: licsat serve ready on https://127.0.0.1:$port (pid $server_pid)"

export LICSAT_URL="https://127.0.0.1:$port"
export CHROMIUM ARTIFACTS="$artifacts" BROWSER_PROFILE_DIR="$tmp/profiles"
start=$(date +%s)
set +e
node "$here/admin_workspace.test.mjs"
rc=$?
set -e
echo "browser tests: finished in $(( $(date +%s) - start )) s with exit status $rc; screenshots in $artifacts"
exit $rc
