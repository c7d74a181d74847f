#!/usr/bin/env bash
# Server memory through many large usage reports: posts REPORTS reports of DEVICES distinct
# devices each (ten of 100,000 by default: a million devices) and prints the server's RSS after
# each report, its peak (VmHWM), and at the end where the memory is (/proc/PID/smaps_rollup).
#
#   bench/memory.sh [BUILD_DIR|BINARY] [DEVICES] [REPORTS]
set -euo pipefail
build=${1:-build}
devices=${2:-100000}
reports=${3:-10}
cd "$(dirname "$0")/.."
bin=$build; [[ -d $build ]] && bin=$build/licsat
work=$(mktemp -d /tmp/licsat-bench-XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
export LICSAT_ADMIN_PASSWORD=bench-admin-password
"$bin" serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --log-level warn >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 300); do [[ -s $work/port ]] && break; sleep 0.1; done
url=https://127.0.0.1:$(cat "$work/port")
c() { curl -sk --fail-with-body "$@"; }
for _ in $(seq 100); do c "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token=$(curl -sk -X POST "$url/oauth/token" -d grant_type=password -d client_id=licsat-admin -d username=admin \
          -d "password=$LICSAT_ADMIN_PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
c "${auth[@]}" -X POST "$url/api/v1/admin/accounts" -d '{"name":"bench","domain":"bench.example"}' >/dev/null
c "${auth[@]}" -X POST "$url/api/v1/admin/accounts/bench/virtual-accounts" -d '{"name":"Campus"}' >/dev/null
for t in network-advantage dna-advantage security-essentials; do
  c "${auth[@]}" -X POST "$url/api/v1/admin/accounts/bench/virtual-accounts/Campus/licenses" \
    -d "{\"tag\":\"$t\",\"quantity\":2500000}" >/dev/null
done
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
# TOKEN_LOAD=SECONDS: first that long of client_credentials load (one Event Log entry per token).
if [[ -n ${TOKEN_LOAD:-} ]]; then
  g=$(c "${auth[@]}" -X POST "$url/api/v1/admin/grants" -d '{"name":"mem-cc","type":"client_credentials"}')
  export BASIC=$(python3 -c 'import json,sys,base64; g=json.loads(sys.argv[1]); print(base64.b64encode((g["client_id"]+":"+g["client_secret"]).encode()).decode())' "$g")
  wrk -t2 -c32 -d"${TOKEN_LOAD}s" -s bench/lua/token_cc.lua "$url/oauth/token" | grep '^BENCH'
  echo "after ${TOKEN_LOAD} s of tokens: RSS $(( $(status VmRSS) / 1024 )) MB, peak $(( $(status VmHWM) / 1024 )) MB, events $(sqlite3 "$work/data/licsat.db" 'SELECT COUNT(*) FROM events')"
fi
echo "settings: $reports reports x $devices distinct devices x 3 licenses, SQLite, loopback"
echo "RSS at start: $(( $(status VmRSS) / 1024 )) MB"
for r in $(seq 1 "$reports"); do
  python3 - "$devices" "$r" "$work/report.json" <<'PY'
import json, sys
n, r, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
tags = ["network-advantage", "dna-advantage", "security-essentials"]
with open(out, "w") as f:
    f.write('{"reportId":"mem-%d","manager":"bench-manager","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},"devices":[' % r)
    for i in range(n):
        if i: f.write(",")
        f.write(json.dumps({"pid": "C9300-48P", "sn": "FOC%02d%08d" % (r, i), "hostname": "sw-%02d-%06d.campus.example.com" % (r, i),
                            "licenses": [{"tag": t, "count": 1 + (i + k) % 3} for k, t in enumerate(tags)]},
                           separators=(",", ":")))
    f.write("]}")
PY
  code=$(curl -sk -o /dev/null -w '%{http_code}' -H 'Expect:' "${auth[@]}" -X POST \
           "$url/api/v1/accounts/bench/virtual-accounts/Campus/usage" --data-binary @"$work/report.json")
  echo "report $r: HTTP $code, RSS $(( $(status VmRSS) / 1024 )) MB, peak so far $(( $(status VmHWM) / 1024 )) MB"
done
sleep "${SETTLE:-5}"
echo "RSS ${SETTLE:-5} s after the last report: $(( $(status VmRSS) / 1024 )) MB; VmHWM $(( $(status VmHWM) / 1024 )) MB"
grep -E '^(Rss|Anonymous|Private_Dirty|Shared_Clean):' /proc/$pid/smaps_rollup | tr -s ' ' | paste -sd' '
echo "threads: $(status Threads); db: $(du -sh "$work/data/licsat.db" | cut -f1)"
# INSPECT=1: where the heap is, from inside the process (gdb): SQLite's own allocations and
# glibc's per-arena totals (malloc_stats prints to the server's stderr).
if [[ -n ${INSPECT:-} ]]; then
  gdb -p "$pid" -batch -ex 'print (long long) sqlite3_memory_used()' -ex 'print (long long) sqlite3_memory_highwater(0)' \
      -ex 'call (void) malloc_stats()' 2>/dev/null | grep '^\$'
  sleep 0.5
  grep -E 'Arena|system bytes|in use bytes' "$work/server.log" | paste -sd' ' | sed 's/Arena/\nArena/g' | tail -n +2 | tail -40
fi
