#!/usr/bin/env bash
# Measures ingestion of one large usage report (DESIGN.md section 6: 100,000 devices x 3
# licenses in under 2 s with server memory under 200 MB).
#
#   bench/usage_ingest.sh [BUILD_DIR] [DEVICES]        (defaults: build, 100000)
#
# Starts `licsat serve` on a loopback port with a fresh SQLite data dir (or PostgreSQL when
# LICSAT_BENCH_DATABASE=postgresql://… is set), creates an account, a virtual account and three
# pools, posts the report with curl and prints: the elapsed seconds (curl's total, and the server's
# own request time), the server's peak RSS sampled during the request and its VmHWM, then a
# repeat of the same report (idempotent, counts nothing twice) and a licenses query over the
# ingested devices. Machine info comes first.
set -euo pipefail
build=${1:-build}
devices=${2:-100000}
cd "$(dirname "$0")/.."
bin=$build/licsat
[[ -x $bin ]] || { echo "no $bin; build first (cmake --build $build --target licsat)" >&2; exit 2; }

work=$(mktemp -d /tmp/licsat-bench-XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; [[ -n ${LICSAT_BENCH_KEEP:-} ]] || rm -rf "$work"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
echo "kernel:  $(uname -r); licsat $($bin --version 2>/dev/null || echo '?')"

python3 - "$devices" "$work/report.json" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
tags = ["network-advantage", "dna-advantage", "security-essentials"]
with open(out, "w") as f:
    f.write('{"reportId":"bench-1","manager":"bench-manager","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},"devices":[')
    for i in range(n):
        if i: f.write(",")
        f.write(json.dumps({"pid": "C9300-48P", "sn": "FOC%08d" % i, "hostname": "switch-%06d.campus.example.com" % i,
                            "licenses": [{"tag": t, "count": 1 + (i + k) % 3} for k, t in enumerate(tags)]},
                           separators=(",", ":")))
    f.write("]}")
PY
size=$(stat -c %s "$work/report.json")
echo "report:  $devices devices x 3 licenses, $size bytes"

export LICSAT_ADMIN_PASSWORD=bench-admin-password
args=(serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --log-level warn)
[[ -n ${LICSAT_BENCH_DATABASE:-} ]] && args+=(--database "$LICSAT_BENCH_DATABASE")
"$bin" "${args[@]}" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 300); do [[ -s $work/port ]] && break; sleep 0.1; done
port=$(cat "$work/port")
url=https://127.0.0.1:$port
c() { curl -sk --fail-with-body "$@"; }
for _ in $(seq 100); do c "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

login=$(curl -sk -X POST "$url/oauth/token" -d grant_type=password -d client_id=licsat-admin -d username=admin \
          -d "password=$LICSAT_ADMIN_PASSWORD")
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["access_token"])' "$login") || { echo "login failed: $login" >&2; exit 1; }
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
c "${auth[@]}" -X POST "$url/api/v1/admin/accounts" -d '{"name":"bench","domain":"bench.example"}' >/dev/null
c "${auth[@]}" -X POST "$url/api/v1/admin/accounts/bench/virtual-accounts" -d '{"name":"Campus"}' >/dev/null
for t in network-advantage dna-advantage security-essentials; do
  c "${auth[@]}" -X POST "$url/api/v1/admin/accounts/bench/virtual-accounts/Campus/licenses" \
    -d "{\"tag\":\"$t\",\"quantity\":250000}" >/dev/null
done

mb() { awk -v k="$1" 'BEGIN {print k / 1024}'; }
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
hwm_before=$(status VmHWM)
rss_before=$(status VmRSS)
# The server's CPU time (user + system, all threads), which a busy machine inflates far less than
# the elapsed time.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat"; }
cpu_before=$(cpu_s)

# Samples the server's RSS every 10 ms while the report is in flight.
( peak=0; while [[ ! -e $work/done ]]; do r=$(status VmRSS || echo 0); (( r > peak )) && peak=$r && echo "$peak" >"$work/peak"; sleep 0.01; done ) &
sampler=$!
# LICSAT_BENCH_PERF=FILE: also profile the server during the ingest (perf record -g).
[[ -n ${LICSAT_BENCH_PERF:-} ]] && { perf record -F 999 -g -o "$LICSAT_BENCH_PERF" -p "$pid" >/dev/null 2>&1 & perf_pid=$!; sleep 0.5; }
# `Expect:` turns off curl's Expect: 100-continue for large bodies: the server sends no
# 100 Continue, so curl would wait its expect100-timeout (1 s) before the upload. That wait is
# measured on its own below ("expect:").
t=$(c "${auth[@]}" -H 'Expect:' -o "$work/ack.json" -w '%{time_total}' -X POST --data-binary @"$work/report.json" \
      "$url/api/v1/accounts/bench/virtual-accounts/Campus/usage")
touch "$work/done"; wait $sampler
[[ -n ${perf_pid:-} ]] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
peak=$(cat "$work/peak" 2>/dev/null || echo 0)
hwm_after=$(status VmHWM)
cpu_after=$(cpu_s)
echo "ack:     $(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(a["status"], a["devices"], "devices,", len(a["warnings"]), "warnings")' "$work/ack.json")"

t2=$(c "${auth[@]}" -H 'Expect:' -o /dev/null -w '%{time_total}' -X POST --data-binary @"$work/report.json" \
       "$url/api/v1/accounts/bench/virtual-accounts/Campus/usage")
t2e=$(c "${auth[@]}" -o /dev/null -w '%{time_total} %{time_starttransfer}' -X POST --data-binary @"$work/report.json" \
       "$url/api/v1/accounts/bench/virtual-accounts/Campus/usage")
t3=$(c "${auth[@]}" -o "$work/licenses.json" -w '%{time_total}' -X POST -d '{"limit":-1}' "$url/api/v1/accounts/bench/licenses")
inuse=$(python3 -c 'import json,sys; print(", ".join("%s=%d" % (l["tag"], l["inUse"]) for l in json.load(open(sys.argv[1]))["licenses"]))' "$work/licenses.json")
t4=$(c "${auth[@]}" -o /dev/null -w '%{time_total}' "$url/api/v1/accounts/bench/devices?limit=100&offset=99000")

printf 'ingest:  %.3f s (curl total: TLS upload + parse + one transaction); server CPU %.2f s\n' "$t" \
  "$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN {print b - a}')"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the report"
printf 'memory:  peak RSS during ingest %.1f MB; VmHWM %.1f MB (before the report: RSS %.1f MB, VmHWM %.1f MB incl. one argon2id login)\n' \
  "$(mb "$peak")" "$(mb "$hwm_after")" "$(mb "$rss_before")" "$(mb "$hwm_before")"
printf 'repeat:  %.3f s (same reportId and body: same ack, nothing counted twice)\n' "$t2"
printf 'expect:  the repeat with curl'"'"'s default Expect: 100-continue %.3f s, of which %.3f s before the upload starts\n' $t2e
printf 'query:   licenses %.3f s (%s); devices page at offset 99000 %.3f s\n' "$t3" "$inuse" "$t4"
