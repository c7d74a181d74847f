#!/usr/bin/env bash
# make bench: every benchmark, one after the other. Figures are printed, never asserted.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
for b in healthz.sh tokens.sh usage_ingest.sh tokens_pg_vs_sqlite.sh scale.sh; do
  [[ -x "$here/$b" ]] || continue
  echo "== $b"
  bash "$here/$b" "$build"
done
# The metrics registry's increment cost (bench/metrics_cost.cpp).
if [[ -x "$build/metrics_cost" ]]; then
  echo "== metrics_cost"
  "$build/metrics_cost"
fi
