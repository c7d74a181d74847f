#!/usr/bin/env bash
# Runs every test through ctest: unit tests, then the end-to-end suite on SQLite and, with a
# throwaway PostgreSQL 15 cluster, again on PostgreSQL.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export CTEST_OUTPUT_ON_FAILURE=1
ctest --test-dir "$build" -j 2 --timeout 600
