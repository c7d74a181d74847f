#!/usr/bin/env bash
# Runs every test through ctest, on both database backends:
#
#   0. The layer check (scripts/check-layers.sh): every #include of src/ keeps to the dependency
#      table of docs/architecture.md.
#   1. SQLite (the default backend): every test, all labels (unit and e2e).
#   2. PostgreSQL 15: a throwaway cluster (scripts/pg-test-cluster.sh: initdb in a temporary
#      directory, loopback port, stopped and removed on exit, failure included), then the unit
#      tests that need PostgreSQL (LICSAT_TEST_PG_URL) and the whole e2e suite again
#      (LICSAT_E2E_PG_URL: every harness server gets a fresh database on the cluster; the
#      several-nodes tests of tests/e2e/multinode_test.cpp run only here).
#
#   3. The fuzz smoke (scripts/fuzz-smoke.sh): regressions replayed, then a short fuzz per target.
#      Before it, scripts/test-prometheus-rules.sh (promtool) checks packaging/prometheus/.
#
# Exit 0 only when every phase passes. Nothing here uses a system PostgreSQL cluster.
#
#   bash scripts/run-tests.sh [BUILD_DIR]                    (default: build)
#
# Environment:
#   LICSAT_TEST_BACKENDS   "sqlite postgres" (default), or one of them
#   LICSAT_PG_UNIT_REGEX   ctest -R regex of the unit tests that use LICSAT_TEST_PG_URL
#                          (default: tests with "Postgres"/"postgres" in their name, e.g.
#                          PostgresDatabaseTest.* and Backends/LicensingStore.*/postgres)
#   CTEST_JOBS             parallel ctest jobs (default 2)
#   LICSAT_TEST_DEB        0 skips the Debian package test (scripts/test-deb.sh; default 1)
#   LICSAT_TEST_FUZZ       0 skips the fuzz smoke (default 1: every fuzz target, FUZZ_SECONDS each,
#                          default 15, in build-fuzz)
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
root=$(pwd)
export CTEST_OUTPUT_ON_FAILURE=1
backends=${LICSAT_TEST_BACKENDS:-sqlite postgres}
pg_unit_regex=${LICSAT_PG_UNIT_REGEX:-[Pp]ostgres}
jobs=${CTEST_JOBS:-2}

[[ -f "$build/CTestTestfile.cmake" ]] || { echo "run-tests: no ctest tree in $build (build first: make build)" >&2; exit 2; }

# The variables below may come from a developer's shell; each run sets exactly what it needs.
unset LICSAT_TEST_PG_URL LICSAT_E2E_PG_URL

declare -A took=() result=()
overall=0
now() { date +%s; }

# Each ctest runs in a process group of its own, so that an interrupted run (Ctrl-C, or a CI
# timeout sending SIGTERM to this script) takes down ctest, the test binaries and the licsat
# servers they started, before the PostgreSQL cluster is stopped.
child=
kill_child() {
  [[ -n $child ]] || return 0
  kill -TERM -- "-$child" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 -- "-$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$child" 2>/dev/null || true
  child=
}
cleanup() {
  kill_child
  if [[ -n ${pg_dir:-} ]]; then bash "$root/scripts/pg-test-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase() {  # phase NAME CMD...: runs CMD, records its time and outcome, never exits the script
  local name=$1 start rc=0
  shift
  echo
  echo "=== run-tests: $name ==="
  start=$(now)
  setsid "$@" &
  child=$!
  wait "$child" || rc=$?
  child=
  took[$name]=$(($(now) - start))
  if ((rc == 0)); then result[$name]=passed; else result[$name]="FAILED (exit $rc)"; overall=1; fi
  echo "=== run-tests: $name: ${result[$name]} in ${took[$name]} s ==="
}

order=()
t0=$(now)

# The layers: every #include of src/ keeps to docs/architecture.md's table (a few seconds).
order+=("layers: includes")
phase "layers: includes" bash "$root/scripts/check-layers.sh"

if [[ " $backends " == *" sqlite "* ]]; then
  order+=("sqlite: all tests")
  phase "sqlite: all tests" ctest --test-dir "$build" -j "$jobs" --timeout 600
fi

if [[ " $backends " == *" postgres "* ]]; then
  # PostgreSQL 15 server binaries (initdb, pg_ctl) and psql: from Debian's postgresql-15, which
  # scripts/install-deps.sh installs (make test runs it first); installed here when missing.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
    echo "run-tests: PostgreSQL is missing; installing it (scripts/install-deps.sh)"
    bash scripts/install-deps.sh
  fi

  pg_dir=$(mktemp -d /tmp/licsat-pg-tests-XXXXXX)  # stopped and removed by cleanup() on exit

  echo
  echo "=== run-tests: starting a throwaway PostgreSQL cluster in $pg_dir ==="
  if ! pg_url=$(bash scripts/pg-test-cluster.sh start "$pg_dir" | tail -1) || [[ $pg_url != postgresql://* ]]; then
    echo "run-tests: the PostgreSQL test cluster did not start" >&2
    exit 1
  fi
  # The e2e harness creates its databases with psql on this URL: check that psql gets in.
  if ! psql -X -q -d "$pg_url" -c 'SELECT 1' >/dev/null; then
    echo "run-tests: psql cannot connect to $pg_url" >&2
    exit 1
  fi
  echo "run-tests: PostgreSQL at $pg_url ($(psql -X -At -d "$pg_url" -c 'SHOW server_version'))"

  export LICSAT_TEST_PG_URL=$pg_url
  order+=("postgres: unit tests")
  phase "postgres: unit tests" ctest --test-dir "$build" -L unit -R "$pg_unit_regex" --no-tests=error -j "$jobs" --timeout 600
  unset LICSAT_TEST_PG_URL

  export LICSAT_E2E_PG_URL=$pg_url
  order+=("postgres: e2e suite")
  phase "postgres: e2e suite" ctest --test-dir "$build" -L e2e --no-tests=error -j "$jobs" --timeout 600
  unset LICSAT_E2E_PG_URL
fi

# The Prometheus alert rules and dashboard shipped in packaging/prometheus/ (promtool).
order+=("prometheus rules")
phase "prometheus rules" bash scripts/test-prometheus-rules.sh

# The Debian package, installed and removed for real (scripts/test-deb.sh: root only, else it
# says it skipped). LICSAT_TEST_DEB=0 skips it.
if [[ ${LICSAT_TEST_DEB:-1} != 0 ]]; then
  order+=("debian package")
  phase "debian package" bash scripts/test-deb.sh "$build"
fi

# 3. The fuzz smoke: every libFuzzer target (clang 14, ASan + UBSan) replays its regression
#    inputs, then fuzzes for a few seconds from its seed corpus (scripts/fuzz-smoke.sh).
if [[ ${LICSAT_TEST_FUZZ:-1} != 0 ]]; then
  order+=("fuzz smoke")
  phase "fuzz smoke" env FUZZ_SECONDS="${FUZZ_SECONDS:-15}" bash scripts/fuzz-smoke.sh
fi

echo
echo "=== run-tests: summary ($(($(now) - t0)) s in all) ==="
for name in "${order[@]}"; do printf '  %-24s %s in %s s\n' "$name" "${result[$name]}" "${took[$name]}"; done
exit "$overall"
