#!/usr/bin/env bash
# make soak: a bounded soak of the token endpoint at 80% of its measured peak, with usage reports
# mixed in, on SQLite. Not part of `make test`.
#
#  1. peak: wrk -t2 -c32 for PEAK_SECONDS (10) against client_credentials, TLS keep-alive;
#  2. soak: SOAK_SECONDS (600) at SOAK_PERCENT (80) % of that peak, paced by bench/lua/token_cc_paced.lua
#     (wrk with a per-thread send schedule; Debian has no wrk2), while a second client posts one
#     USAGE_DEVICES (1000)-device usage report per second (curl, a fresh reportId each time);
#  3. prints the 5xx count, server RSS (VmRSS) at the start and end of the soak (and every 10 s),
#     latency p50/p99 and the tokens/s achieved.
# Exits 1 on any 5xx (tokens or usage), on a usage report not acknowledged with 200, or when RSS
# grew by more than SOAK_MAX_RSS_GROWTH_MB (64) over the soak.
# Usage: bench/soak.sh [BUILD_DIR]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${1:-build}
case $build in /*) bin=$build/licsat ;; *) bin=$(cd "$here/.." && pwd)/$build/licsat ;; esac
SOAK=${SOAK_SECONDS:-600} PEAK=${PEAK_SECONDS:-10} PERCENT=${SOAK_PERCENT:-80}
DEVICES=${USAGE_DEVICES:-1000} MAX_GROWTH_MB=${SOAK_MAX_RSS_GROWTH_MB:-64}
export THREADS=2
C=32
work=$(mktemp -d /tmp/licsat-soak-XXXXXX)
cleanup() {
  kill "${USAGE_PID:-}" "${SAMPLER_PID:-}" 2>/dev/null || true
  kill "${LICSAT_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bench_machine
echo "settings: peak wrk -t$THREADS -c$C -d${PEAK}s; soak ${SOAK}s at ${PERCENT}% of peak, -c$C, paced wrk" \
  "(token_cc_paced.lua); one ${DEVICES}-device usage report per second; TLS keep-alive, loopback; wrk," \
  "curl and the server share the cores"
start_licsat "$bin" "$work/licsat"
tok=$(admin_token)
read -r cid csec < <(make_grant "$tok" soak-cc client_credentials)
export BASIC=$(printf '%s:%s' "$cid" "$csec" | base64 -w0)
curl -sf --cacert "$LICSAT_CA" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  "$LICSAT_URL/api/v1/admin/accounts" -d '{"name":"soak"}' >/dev/null
curl -sf --cacert "$LICSAT_CA" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  "$LICSAT_URL/api/v1/admin/accounts/soak/virtual-accounts" -d '{"name":"Field"}' >/dev/null
curl -sf --cacert "$LICSAT_CA" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  "$LICSAT_URL/api/v1/admin/accounts/soak/virtual-accounts/Field/licenses" -d '{"tag":"dna","quantity":1000000}' >/dev/null

# 1. Peak.
peak_line=$(wrk -t"$THREADS" -c"$C" -d"${PEAK}s" -s "$here/lua/token_cc.lua" "$LICSAT_URL/oauth/token" 2>&1 |
  grep '^BENCH' | sed 's/^BENCH //')
peak=$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$peak_line")
[[ $peak =~ ^[0-9]+$ && $peak -gt 0 ]] || { echo "peak measurement failed: $peak_line"; exit 1; }
export RATE=$((peak * PERCENT / 100))
echo "peak (client_credentials): $peak_line"
echo "soak target: $RATE tokens/s (${PERCENT}% of $peak)"

# 2. Soak: usage reports from a second client, RSS sampled every 10 s, paced tokens.
python3 - "$DEVICES" >"$work/report.tmpl" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"reportId": "@ID@", "manager": "soak",
                  "period": {"start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z"},
                  "devices": [{"pid": "C9300-48P", "sn": f"SOAK{i:06d}", "hostname": f"sw-{i}",
                               "licenses": [{"tag": "dna", "count": 1}]} for i in range(n)]}))
PY
usage_loop() {
  local i=0 end=$((SECONDS + SOAK)) started code
  while ((SECONDS < end)); do
    started=$(date +%s%N)
    sed "s/@ID@/soak-$$-$i/" "$work/report.tmpl" >"$work/report.json"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$LICSAT_CA" \
      -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data-binary @"$work/report.json" \
      "$LICSAT_URL/api/v1/accounts/soak/virtual-accounts/Field/usage")
    echo "$code $((($(date +%s%N) - started) / 1000000))" >>"$work/usage.codes"
    i=$((i + 1))
    local left=$((1000 - ($(date +%s%N) - started) / 1000000))
    ((left > 0)) && sleep "$(printf '0.%03d' "$left")"
  done
}
sampler() {
  while kill -0 "$LICSAT_PID" 2>/dev/null; do
    echo "$(date +%s) $(rss_kb "$LICSAT_PID")" >>"$work/rss.series"
    sleep 10
  done
}
rss_start=$(rss_kb "$LICSAT_PID")
sampler &
SAMPLER_PID=$!
usage_loop &
USAGE_PID=$!
soak_line=$(wrk -t"$THREADS" -c"$C" -d"${SOAK}s" --timeout 10s -s "$here/lua/token_cc_paced.lua" \
  "$LICSAT_URL/oauth/token" 2>&1 | grep '^BENCH' | sed 's/^BENCH //')
wait "$USAGE_PID" 2>/dev/null || true
USAGE_PID=
rss_end=$(rss_kb "$LICSAT_PID")
kill "$SAMPLER_PID" 2>/dev/null
SAMPLER_PID=
hwm=$(hwm_kb "$LICSAT_PID")
alive=yes
kill -0 "$LICSAT_PID" 2>/dev/null || alive=no

# 3. Report.
get() { sed -E "s/.*$1=([0-9.]+).*/\\1/" <<<"$soak_line"; }
tok_5xx=$(get status_5xx)
usage_total=$(wc -l <"$work/usage.codes")
usage_5xx=$(awk '$1 >= 500 || $1 == "000" {n++} END {print n + 0}' "$work/usage.codes")
usage_not_200=$(awk '$1 != 200 {n++} END {print n + 0}' "$work/usage.codes")
usage_p50=$(awk '{print $2}' "$work/usage.codes" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
usage_max=$(awk '{print $2}' "$work/usage.codes" | sort -n | tail -1)
growth_kb=$((rss_end - rss_start))
tokens=$(sqlite3 "$work/licsat/licsat.db" "SELECT COUNT(*) FROM tokens WHERE kind='access'" 2>/dev/null || echo "?")
achieved=$(get rps)
echo "soak tokens: $soak_line (target $RATE/s, achieved $((achieved * 100 / RATE))% of it; late = sent over 50 ms" \
  "behind schedule)"
echo "soak usage reports: $usage_total sent, $usage_not_200 not answered 200 ($usage_5xx 5xx or no answer)," \
  "p50 ${usage_p50} ms, max ${usage_max} ms"
echo "RSS: ${rss_start} kB at the start of the soak, ${rss_end} kB at the end (growth ${growth_kb} kB," \
  "bound ${MAX_GROWTH_MB} MB), peak VmHWM ${hwm} kB; every 10 s: $(awk '{printf "%s ", $2}' "$work/rss.series")"
echo "access tokens in the database: $tokens; server still running: $alive"
fail=0
if [[ $tok_5xx != 0 || $usage_5xx != 0 ]]; then
  echo "FAIL: 5xx answers (tokens $tok_5xx, usage $usage_5xx)"
  fail=1
fi
if [[ $usage_not_200 != 0 ]]; then
  echo "FAIL: $usage_not_200 usage reports were not acknowledged with 200"
  fail=1
fi
if ((growth_kb > MAX_GROWTH_MB * 1024)); then
  echo "FAIL: RSS grew by ${growth_kb} kB, more than ${MAX_GROWTH_MB} MB"
  fail=1
fi
if [[ $alive != yes ]]; then
  echo "FAIL: the server died during the soak"
  fail=1
fi
((fail == 0)) && echo "soak: ok (zero 5xx, RSS growth within ${MAX_GROWTH_MB} MB)"
exit $fail
