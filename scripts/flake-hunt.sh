#!/usr/bin/env bash
# Hunts flaky end-to-end tests: runs the e2e suite N times under parallel load, the way a loaded
# CI machine or a developer's `make test` beside other work sees it, and prints every test that
# failed at least once with the number of runs it failed in.
#
#   bash scripts/flake-hunt.sh N [BUILD_DIR]                 (default BUILD_DIR: build)
#
# Each run is `ctest -L e2e -j CTEST_JOBS` beside a CPU burner (BURNERS busy-looping processes,
# started with the run and killed when it ends). The build must be done first (licsat and
# e2e_tests); nothing is built here.
#
# Environment:
#   LICSAT_TEST_BACKENDS  sqlite (default) or postgres: postgres starts a throwaway cluster with
#                         scripts/pg-test-cluster.sh (as scripts/run-tests.sh does), sets
#                         LICSAT_E2E_PG_URL for the runs and stops it on exit. Both: "sqlite postgres".
#   CTEST_JOBS            parallel ctest jobs (default 2)
#   BURNERS               CPU burner processes beside each run (default 1; 0 for none)
#   FLAKE_REGEX           ctest -R regex to hunt in a part of the suite (default: all e2e tests)
#   FLAKE_RUN_TIMEOUT     seconds one run may take before it is stopped (default 3600)
#   FLAKE_TEST_TIMEOUT    ctest --timeout per test, seconds (default 600, as run-tests.sh)
#   FLAKE_LOG_DIR         where each run's ctest output is kept (default: a new /tmp directory)
#
# Exit 0 when no test failed in any run, 1 otherwise, 2 on a usage or setup error.
set -euo pipefail
runs=${1:-}
build=${2:-build}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: flake-hunt.sh N [BUILD_DIR]   (N: runs, 1 or more)" >&2; exit 2; }
cd "$(dirname "$0")/.."
root=$(pwd)
[[ -f "$build/CTestTestfile.cmake" ]] || { echo "flake-hunt: no ctest tree in $build (build licsat and e2e_tests first)" >&2; exit 2; }
backends=${LICSAT_TEST_BACKENDS:-sqlite}
for b in $backends; do
  [[ $b == sqlite || $b == postgres ]] || { echo "flake-hunt: unknown backend '$b' (sqlite, postgres)" >&2; exit 2; }
done
jobs=${CTEST_JOBS:-2}
burners=${BURNERS:-1}
regex=${FLAKE_REGEX:-}
run_timeout=${FLAKE_RUN_TIMEOUT:-3600}
test_timeout=${FLAKE_TEST_TIMEOUT:-600}
logs=${FLAKE_LOG_DIR:-$(mktemp -d /tmp/licsat-flake-hunt-XXXXXX)}
mkdir -p "$logs"
unset LICSAT_TEST_PG_URL LICSAT_E2E_PG_URL

# The ctest run and the burners each get a process group of their own, so that an interrupted
# hunt takes down ctest, the test binaries and the servers they started before the cluster stops.
child=
burner_pids=()
stop_burners() {
  local p
  for p in "${burner_pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  for p in "${burner_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  burner_pids=()
}
kill_child() {
  [[ -n $child ]] || return 0
  kill -TERM -- "-$child" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 -- "-$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$child" 2>/dev/null || true
  child=
}
cleanup() {
  kill_child
  stop_burners
  if [[ -n ${pg_dir:-} ]]; then bash "$root/scripts/pg-test-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A fails=()   # "backend: test" -> runs it failed in
summary=()
overall=0

one_run() {  # one_run BACKEND I: one ctest run under load; records its failed tests
  local backend=$1 i=$2 log start rc=0 took t
  log="$logs/$backend-$i.log"
  for ((b = 0; b < burners; b++)); do
    setsid bash -c 'while :; do :; done' &
    burner_pids+=("$!")
  done
  start=$(date +%s)
  local args=(--test-dir "$build" -L e2e --no-tests=error -j "$jobs" --timeout "$test_timeout" --output-on-failure)
  [[ -n $regex ]] && args+=(-R "$regex")
  setsid timeout -s TERM -k 30 "$run_timeout" ctest "${args[@]}" >"$log" 2>&1 &
  child=$!
  wait "$child" || rc=$?
  child=
  stop_burners
  took=$(($(date +%s) - start))
  # ctest's summary lists each failed test under "The following tests FAILED:" as
  # "  NN - Suite.Name (Failed|Timeout|...)"; skipped ones are under "did not run", not counted.
  local failed=()
  mapfile -t failed < <(awk '/The following tests FAILED:/ { on = 1; next }
                             on && /^[[:space:]]*[0-9]+ - / { print $3; next }
                             { on = 0 }' "$log")
  if ((rc == 124)); then failed+=("(the run itself: stopped after ${run_timeout} s)"); fi
  if ((rc != 0 && ${#failed[@]} == 0)); then failed+=("(ctest exit $rc, no test named: see $log)"); fi
  for t in "${failed[@]}"; do
    fails["$backend: $t"]=$((${fails["$backend: $t"]:-0} + 1))
  done
  ((${#failed[@]} == 0)) || overall=1
  summary+=("$(printf '%-8s run %d: %d failed in %d s (%s)' "$backend" "$i" "${#failed[@]}" "$took" "$log")")
  echo "flake-hunt: $backend run $i/$runs: ${#failed[@]} failed in $took s"
}

t0=$(date +%s)
for backend in $backends; do
  if [[ $backend == postgres ]]; then
    pg_dir=$(mktemp -d /tmp/licsat-pg-flake-XXXXXX)  # stopped and removed by cleanup()
    if ! pg_url=$(bash scripts/pg-test-cluster.sh start "$pg_dir" | tail -1) || [[ $pg_url != postgresql://* ]]; then
      echo "flake-hunt: the PostgreSQL test cluster did not start" >&2
      exit 2
    fi
    export LICSAT_E2E_PG_URL=$pg_url
    echo "flake-hunt: PostgreSQL at $pg_url"
  fi
  for ((i = 1; i <= runs; i++)); do one_run "$backend" "$i"; done
  if [[ $backend == postgres ]]; then
    unset LICSAT_E2E_PG_URL
    bash scripts/pg-test-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true
    pg_dir=
  fi
done

echo
echo "=== flake-hunt: $runs run(s) per backend ($backends), ctest -j $jobs, $burners burner(s), $(($(date +%s) - t0)) s in all ==="
for line in "${summary[@]}"; do echo "  $line"; done
if ((${#fails[@]} == 0)); then
  echo "no test failed"
else
  echo "failed at least once (runs failed / runs):"
  for k in "${!fails[@]}"; do printf '  %3d/%d  %s\n' "${fails[$k]}" "$runs" "$k"; done | sort -k3
fi
exit "$overall"
