#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang 14, ASan + UBSan) and runs each one:
#
#   1. replays its regression inputs (tests/fuzz/regressions/<target>/: inputs that once crashed),
#   2. fuzzes for FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/<target>/, copied to a
#      work directory first, so the seeds in the tree never change), with its dictionary.
#
# Prints one row per target (executions, exec/s, coverage, new inputs, peak RSS, result) and exits
# non-zero when any target crashed, leaked, timed out or ran out of memory; the crashing input is
# kept in the work directory (printed) for tests/fuzz/regressions/<target>/.
#
#   bash scripts/fuzz-smoke.sh                         (CI smoke: 20 s per target)
#   FUZZ_SECONDS=300 bash scripts/fuzz-smoke.sh        (what `make fuzz` runs)
#   FUZZ_TARGETS="usage_report config_toml" bash scripts/fuzz-smoke.sh
#
# Environment:
#   FUZZ_SECONDS   seconds of fuzzing per target (default 20)
#   FUZZ_JOBS      targets fuzzed at once (default 2); the build uses the same number of jobs
#   FUZZ_TARGETS   target names without _fuzz (default: every tests/fuzz/*_fuzz.cpp)
#   FUZZ_BUILD     build directory (default build-fuzz)
#   FUZZ_WORK      where corpora, logs and crash inputs go (default: a new /tmp/licsat-fuzz-XXXXXX)
#   FUZZ_KEEP_CORPUS=1  merge what each run found back into tests/fuzz/corpus/<target>/ (minimised)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
build=${FUZZ_BUILD:-build-fuzz}
t0=$(date +%s)

# clang 14 and its compiler-rt (libFuzzer, sanitizers): Debian's clang-14 and libclang-rt-14-dev,
# which scripts/install-deps.sh installs.
if ! command -v clang++-14 >/dev/null || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: clang 14 or libFuzzer is missing; installing them (scripts/install-deps.sh)"
  bash scripts/install-deps.sh
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
fi
echo "=== fuzz: building the fuzz targets in $build ==="
cmake -S . -B "$build" -DLICSAT_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build "$build" --target fuzz_all -j "$jobs"
built=$(($(date +%s) - t0))

if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for f in tests/fuzz/*_fuzz.cpp; do
    n=$(basename "$f" .cpp)
    targets+=("${n%_fuzz}")
  done
fi

work=${FUZZ_WORK:-$(mktemp -d /tmp/licsat-fuzz-XXXXXX)}
mkdir -p "$work"
# Leaks fail the run; UBSan reports already abort (-fno-sanitize-recover) with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

dict_of() {
  local t=$1
  if [[ -f tests/fuzz/dict/$t.dict ]]; then
    echo "tests/fuzz/dict/$t.dict"
  elif [[ $t == oauth_token || $t == admin_bodies || $t == usage_report || $t == offline_* ]]; then
    echo "tests/fuzz/dict/json.dict"
  fi
}

# Targets whose harness keeps state across inputs (a whole App, a manager state): libFuzzer's
# leak check after every input that allocated more than it freed scans all that state and costs
# 40x in speed, so for them it runs once, when the process exits (a leak still fails the run).
stateful=" http_request form_auth oauth_token admin_bodies offline_answer offline_exchange "

# run_one TARGET: regressions, then fuzzing; writes $work/TARGET.result ("ok" or why not).
run_one() {
  local t=$1 bin="$build/${1}_fuzz" log="$work/$1.log" rc=0
  local corpus="$work/corpus/$t"
  mkdir -p "$corpus"
  if [[ ! -x $bin ]]; then
    echo "no binary $bin" >"$work/$t.result"
    return
  fi
  local regs=()
  if [[ -d tests/fuzz/regressions/$t ]]; then
    while IFS= read -r -d '' f; do regs+=("$f"); done < <(find "tests/fuzz/regressions/$t" -type f ! -name '*.md' -print0 | sort -z)
  fi
  if ((${#regs[@]})); then
    if ! "$bin" -runs=1 "${regs[@]}" >"$work/$t.regressions.log" 2>&1; then
      echo "REGRESSION (see $work/$t.regressions.log)" >"$work/$t.result"
      return
    fi
  fi
  local args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048
              -artifact_prefix="$work/$t-" -close_fd_mask=1 -print_funcs=0)
  local d
  d=$(dict_of "$t")
  [[ -n $d ]] && args+=(-dict="$d")
  [[ $stateful == *" $t "* ]] && args+=(-detect_leaks=0)
  "$bin" "${args[@]}" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    local what
    what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z_-]+|runtime error: .*|fuzz: .*' "$log" || true)
    local art
    art=$(grep -m1 -oE "Test unit written to [^ ]+" "$log" | sed 's/Test unit written to //' || true)
    echo "FAILED (exit $rc) ${what:-} ${art:+input: $art}" >"$work/$t.result"
  else
    echo ok >"$work/$t.result"
  fi
  if [[ ${FUZZ_KEEP_CORPUS:-0} == 1 && $rc == 0 ]]; then
    "$bin" -merge=1 "tests/fuzz/corpus/$t" "$corpus" >>"$log" 2>&1 || true
  fi
}

echo "=== fuzz: ${#targets[@]} targets, $seconds s each, $jobs at a time; work in $work ==="
running=0
for t in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

fstat() {  # fstat LOG NAME: a libFuzzer final stat
  grep -m1 "^stat::$2:" "$1" 2>/dev/null | awk '{print $2}'
}
overall=0
printf '\n%-18s %12s %8s %6s %7s %6s %7s  %s\n' target executions exec/s cov ft new rss_mb result
for t in "${targets[@]}"; do
  log="$work/$t.log"
  execs=$(fstat "$log" number_of_executed_units)
  rate=$(fstat "$log" average_exec_per_sec)
  added=$(fstat "$log" new_units_added)
  rss=$(fstat "$log" peak_rss_mb)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" 2>/dev/null | tail -1 || true)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  result=$(cat "$work/$t.result" 2>/dev/null || echo "did not run")
  [[ $result == ok ]] || overall=1
  printf '%-18s %12s %8s %6s %7s %6s %7s  %s\n' "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "${added:--}" "${rss:--}" "$result"
done
echo
echo "fuzz: build ${built} s, total $(($(date +%s) - t0)) s; logs in $work"
if ((overall != 0)); then
  echo "fuzz: FAILED; reproduce with: $build/<target>_fuzz <input>; keep the input in tests/fuzz/regressions/<target>/" >&2
fi
exit "$overall"
