#!/usr/bin/env bash
# wrk against GET /healthz over TLS keep-alive; prints requests/s with cores and settings.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${1:-build}
case $build in /*) bin=$build/licsat ;; *) bin=$(cd "$here/.." && pwd)/$build/licsat ;; esac
D=${DURATION:-10s} C=${CONNECTIONS:-32} T=${THREADS:-2}
work=$(mktemp -d /tmp/licsat-bench-XXXXXX)
trap 'kill $LICSAT_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
bench_machine
echo "settings: wrk -t$T -c$C -d$D GET /healthz, TLS keep-alive, loopback"
start_licsat "$bin" "$work/licsat"
wrk -t"$T" -c"$C" -d"$D" -s "$here/lua/get.lua" "$LICSAT_URL/healthz" | grep -E '^BENCH|Latency|Requests/sec'
