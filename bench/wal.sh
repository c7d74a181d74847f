#!/usr/bin/env bash
# SQLite write-ahead log under client_credentials load: the WAL's peak size during the run, its
# size 10 s after the load stopped, tokens persisted and bytes the process wrote per token
# (/proc/PID/io write_bytes: log plus checkpoint copies). Also RSS before and after.
# Usage: bench/wal.sh [BUILD_DIR]   (DURATION=20 seconds, CONNECTIONS=32 THREADS=2 to change)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${1:-build}
case $build in /*) bin=$build/licsat ;; *) bin=$(cd "$here/.." && pwd)/$build/licsat ;; esac
D=${DURATION:-20} C=${CONNECTIONS:-32} T=${THREADS:-2}
work=$(mktemp -d /tmp/licsat-bench-XXXXXX)
cleanup() { kill "${LICSAT_PID:-}" "${SAMPLER_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bench_machine
echo "settings: wrk -t$T -c$C -d${D}s, TLS keep-alive, loopback; wrk shares the cores with the server"
start_licsat "$bin" "$work/licsat"
tok=$(admin_token)
read -r cid csec < <(make_grant "$tok" bench-cc client_credentials)
export BASIC=$(printf '%s:%s' "$cid" "$csec" | base64 -w0)
wal="$work/licsat/licsat.db-wal"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
( peak=0; while :; do s=$(size "$wal"); ((s > peak)) && peak=$s && echo "$peak" >"$work/peak"; sleep 0.2; done ) &
SAMPLER_PID=$!
wb0=$(awk '/^write_bytes/{print $2}' /proc/$LICSAT_PID/io)
n0=$(sqlite3 "$work/licsat/licsat.db" "SELECT COUNT(*) FROM tokens")
rss_before=$(rss_kb "$LICSAT_PID")
line=$(wrk -t"$T" -c"$C" -d"${D}s" -s "$here/lua/token_cc.lua" "$LICSAT_URL/oauth/token" 2>&1 | grep '^BENCH' | sed 's/^BENCH //')
wb1=$(awk '/^write_bytes/{print $2}' /proc/$LICSAT_PID/io)
rss_after=$(rss_kb "$LICSAT_PID")
at_stop=$(size "$wal")
sleep 10
kill "$SAMPLER_PID"; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=
after10=$(size "$wal")
n1=$(sqlite3 "$work/licsat/licsat.db" "SELECT COUNT(*) FROM tokens")
tokens=$((n1 - n0))
echo "client_credentials: $line"
echo "tokens persisted: $tokens"
echo "WAL peak: $(( $(cat "$work/peak" 2>/dev/null || echo 0) / 1048576 )) MiB; at load stop: $((at_stop / 1048576)) MiB; 10 s later: $((after10 / 1048576)) MiB ($after10 bytes)"
echo "database file 10 s later: $(( $(size "$work/licsat/licsat.db") / 1048576 )) MiB"
echo "bytes written by the server per token (WAL + checkpoints): $(( (wb1 - wb0) / (tokens > 0 ? tokens : 1) ))"
echo "WAL bytes per token if never checkpointed (peak / tokens): $(( $(cat "$work/peak" 2>/dev/null || echo 0) / (tokens > 0 ? tokens : 1) ))"
echo "licsat RSS: ${rss_before} kB before, ${rss_after} kB after the token run"
grep -ci "error\|warn" "$work/licsat.log" | sed "s/^/log lines at warn or error: /"; grep -i "error\|warn" "$work/licsat.log" | sort | uniq -c | sort -rn | head -3
