#!/usr/bin/env bash
# Reads at scale (issue 17): every read of the licensing API and the Event Log on a million
# devices and a million events, which should not grow with the data (target: under 50 ms each,
# best of 5).
#
#   bench/scale.sh [BUILD_DIR] [REPORTS] [DEVICES_PER_REPORT] [EVENTS]
#                                        (defaults: build, 10, 100000, 1000000)
#
# Starts `licsat serve` on a loopback port with a fresh SQLite data dir (or PostgreSQL when
# LICSAT_BENCH_DATABASE=postgresql://… names an empty database), creates one account with one
# virtual account and three pools, and posts REPORTS usage reports of DEVICES_PER_REPORT new
# devices x 3 licenses each through the server (like usage_ingest.sh), then the first report's
# devices again under a new reportId, printing each ingest's time. The Event Log then gets EVENTS events by a bulk insert with the server stopped (a million
# token requests would take far longer than the reads measured here; the rows are the shape the
# server writes: token issues and their failures, revocations, logins, by 50 clients), and the
# server is started again on the same data. Then each read is timed over one kept-alive TLS
# connection, best of 5 (curl's time_total): license views, alerts, the first device page, the
# page at offset N-100 by cursor and by offset, Event Log pages filtered by action, outcome and
# actor (by cursor, and by offset with their total). Last: the WAL's peak size during the ingests
# (SQLite) and the server's RSS and VmHWM. Machine and settings come first.
set -euo pipefail
build=${1:-build}
reports=${2:-10}
per_report=${3:-100000}
events=${4:-1000000}
cd "$(dirname "$0")/.."
bin=$build/licsat
[[ -x $bin ]] || { echo "no $bin; build first (cmake --build $build --target licsat)" >&2; exit 2; }
db_url=${LICSAT_BENCH_DATABASE:-}

work=$(mktemp -d /tmp/licsat-scale-XXXXXX)
pid=
sampler=
cleanup() {
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  wait 2>/dev/null
  [[ -n ${LICSAT_BENCH_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

total=$((reports * per_report))
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kernel:  $(uname -r); licsat $($bin --version 2>/dev/null || echo '?')"
backend="SQLite (WAL, synchronous=FULL; tokens lazily synced)"
[[ -n $db_url ]] && backend="PostgreSQL $(psql -XAtqc 'SHOW server_version' "$db_url" 2>/dev/null || echo '?')"
echo "setup:   $backend; $reports reports x $per_report devices x 3 licenses = $total devices; $events events"

export LICSAT_ADMIN_PASSWORD=bench-admin-password
start() {
  rm -f "$work/port"
  local args=(serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --log-level warn)
  [[ -n $db_url ]] && args+=(--database "$db_url")
  "$bin" "${args[@]}" >>"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do [[ -s $work/port ]] && break; sleep 0.1; done
  url=https://127.0.0.1:$(cat "$work/port")
  for _ in $(seq 100); do curl -sk "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local login
  login=$(curl -sk -X POST "$url/oauth/token" -d grant_type=password -d client_id=licsat-admin -d username=admin \
            -d "password=$LICSAT_ADMIN_PASSWORD")
  token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["access_token"])' "$login") ||
    { echo "login failed: $login" >&2; exit 1; }
  auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
}
c() { curl -sk --fail-with-body "$@"; }
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }

start
c "${auth[@]}" -X POST "$url/api/v1/admin/accounts" -d '{"name":"bench","domain":"bench.example"}' >/dev/null
c "${auth[@]}" -X POST "$url/api/v1/admin/accounts/bench/virtual-accounts" -d '{"name":"Campus"}' >/dev/null
for t in network-advantage dna-advantage security-essentials; do
  c "${auth[@]}" -X POST "$url/api/v1/admin/accounts/bench/virtual-accounts/Campus/licenses" \
    -d "{\"tag\":\"$t\",\"quantity\":$((total * 2))}" >/dev/null
done

# The WAL's size, sampled every 50 ms while the reports go in.
wal=$work/data/licsat.db-wal
( peak=0; while :; do s=$(stat -c %s "$wal" 2>/dev/null || echo 0); (( s > peak )) && peak=$s && echo "$peak" >"$work/walpeak"; sleep 0.05; done ) &
sampler=$!
# One report more at the end sends the first report's devices again under a new reportId: the
# ingest of devices already stored (their old counts are replaced), not of new ones.
for ((r = 0; r <= reports; r++)); do
  python3 - "$r" "$per_report" "$work/report.json" "$reports" <<'PY'
import json, sys
r, n, out, last = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
tags = ["network-advantage", "dna-advantage", "security-essentials"]
with open(out, "w") as f:
    f.write('{"reportId":"scale-%d","manager":"bench-manager","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},"devices":[' % r)
    for i in range(n):
        if i: f.write(",")
        d = (0 if r == last else r) * n + i
        f.write(json.dumps({"pid": "C9300-48P", "sn": "FOC%09d" % d, "hostname": "switch-%07d.campus.example.com" % d,
                            "licenses": [{"tag": t, "count": 1 + (d + k) % 3} for k, t in enumerate(tags)]},
                           separators=(",", ":")))
    f.write("]}")
PY
  t=$(c "${auth[@]}" -H 'Expect:' -o /dev/null -w '%{time_total}' -X POST --data-binary @"$work/report.json" \
        "$url/api/v1/accounts/bench/virtual-accounts/Campus/usage")
  if ((r < reports)); then
    printf 'ingest:  report %d of %d, new devices (%d stored before it): %.3f s\n' $((r + 1)) "$reports" $((r * per_report)) "$t"
  else
    printf 'ingest:  report 1'"'"'s %d devices again, new reportId (%d stored): %.3f s\n' "$per_report" "$total" "$t"
  fi
done
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=
walpeak=$(cat "$work/walpeak" 2>/dev/null || echo 0)

# Events in bulk, with the server stopped.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
t0=$(date +%s.%N)
if [[ -z $db_url ]]; then
  python3 - "$work/data/licsat.db" "$events" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
t0 = 1795000000
kinds = [("token.issue", "success")] * 14 + [("token.issue", "failure"), ("token.revoke", "success"),
        ("user.login", "success"), ("user.login", "failure"), ("usage.report", "success"), ("grant.create", "success")]
def rows():
    for i in range(n):
        a, o = kinds[i % len(kinds)]
        yield (t0 + i // 20, "client-%02d" % (i % 50), "10.0.%d.%d" % (i % 7, i % 251), a, o, "bench event %d" % i)
c.executemany("INSERT INTO events (time, actor, source_ip, action, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)", rows())
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
else
  psql -q "$db_url" -c "INSERT INTO events (time, actor, source_ip, action, outcome, detail)
    SELECT 1795000000 + i / 20, 'client-' || lpad((i % 50)::text, 2, '0'), '10.0.' || (i % 7) || '.' || (i % 251),
      (ARRAY['token.issue','token.issue','token.issue','token.issue','token.issue','token.issue','token.issue',
             'token.issue','token.issue','token.issue','token.issue','token.issue','token.issue','token.issue',
             'token.issue','token.revoke','user.login','user.login','usage.report','grant.create'])[i % 20 + 1],
      CASE WHEN i % 20 IN (14, 17) THEN 'failure' ELSE 'success' END, 'bench event ' || i
    FROM generate_series(0, $events - 1) AS i; ANALYZE;"
fi
printf 'events:  %d inserted in bulk in %.1f s\n' "$events" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')"
start

# best NAME METHOD PATH [BODY]: five requests over one connection, the fastest in ms.
best() {
  local name=$1 method=$2 path=$3 body=${4:-} urls=() i
  for i in 1 2 3 4 5; do urls+=(-o /dev/null "$url$path"); done
  local data=()
  [[ -n $body ]] && data=(-d "$body")
  local times
  times=$(curl -sk "${auth[@]}" -X "$method" "${data[@]}" -w '%{http_code} %{time_total}\n' "${urls[@]}")
  awk -v n="$name" '$1 != 200 {bad = $1} {ms = $2 * 1000; if (min == "" || ms < min) min = ms}
    END {if (bad) printf "read:    %-62s HTTP %s\n", n, bad; else printf "read:    %-62s %7.1f ms\n", n, min}' <<<"$times"
}
deep=$((total - 100))
next=$(c "${auth[@]}" "$url/api/v1/accounts/bench/devices?limit=1&offset=$((deep - 1))" |
         python3 -c 'import json,sys; print(json.load(sys.stdin).get("next", ""))')
best "license views (POST licenses, all)" POST /api/v1/accounts/bench/licenses '{"limit":-1}'
best "alerts" GET /api/v1/accounts/bench/alerts
best "first device page (100)" GET "/api/v1/accounts/bench/devices?limit=100"
best "device page at $deep by cursor" GET "/api/v1/accounts/bench/devices?limit=100&after=$next"
best "device page at $deep by offset" GET "/api/v1/accounts/bench/devices?limit=100&offset=$deep"
best "usage history (one pool)" GET "/api/v1/accounts/bench/licenses/usage-history?virtualAccount=Campus&tag=dna-advantage"
for f in "action=token.issue" "outcome=failure" "actor=client-07" "action=user.login&outcome=failure" ""; do
  best "events ${f:-(all)} by cursor" GET "/api/v1/admin/events?limit=100&after=&$f"
  ecur=$(c "${auth[@]}" "$url/api/v1/admin/events?limit=100&after=&$f" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("next", ""))')
  best "events ${f:-(all)} 2nd page by cursor" GET "/api/v1/admin/events?limit=100&after=$ecur&$f"
  best "events ${f:-(all)} by offset, with total" GET "/api/v1/admin/events?limit=100&$f"
done

mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo "wal:     peak $(awk -v b="$walpeak" 'BEGIN {printf "%.1f", b / 1048576}') MB during the ingests${db_url:+ (PostgreSQL: not sampled)}"
echo "memory:  server RSS $(mb "$(status VmRSS)") MB, VmHWM $(mb "$(status VmHWM)") MB after the reads (restarted after the ingests)"
[[ -z $db_url ]] && echo "disk:    $(du -sh "$work/data" | cut -f1) data dir"
exit 0
