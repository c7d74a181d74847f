#!/usr/bin/env bash
# Token throughput (and usage-report ingestion, when the licensing API is built) on SQLite beside
# PostgreSQL, printed side by side (issue 5).
#
#   bench/tokens_pg_vs_sqlite.sh [BUILD_DIR]                 (default: build)
#
# For each backend: starts `licsat serve` on a loopback port with a fresh data dir (SQLite), or
# with a fresh database on a throwaway PostgreSQL 15 cluster (scripts/pg-test-cluster.sh, stopped
# and removed on exit), creates a Client Credentials Grant through the admin API, then runs
#   wrk -t$THREADS -c$CONNECTIONS -d$DURATION  (TLS keep-alive, HTTP Basic client authentication)
# posting grant_type=client_credentials to /oauth/token. Every token is persisted (and revocable).
# With the licensing API (POST /api/v1/accounts/{a}/virtual-accounts/{va}/usage): one report of
# $DEVICES devices x 3 licenses (timed with curl), then wrk posting small reports of
# $REPORT_DEVICES devices, each with its own reportId.
#
# Backends (columns):
#   sqlite        DATA/licsat.db, WAL, synchronous=NORMAL (licsat's settings: a commit survives a
#                 process crash, not a power loss)
#   pg-async      PostgreSQL, fsync=on, synchronous_commit=off: the same durability as SQLite's
#                 NORMAL (survives a crash of licsat or of PostgreSQL's backends, a power loss may
#                 drop the last ~0.6 s of commits, never corrupts)
#   pg-sync       PostgreSQL, fsync=on, synchronous_commit=on (PostgreSQL's default: every
#                 acknowledged commit is on disk)
# Environment: BACKENDS (default "sqlite pg-async pg-sync"), THREADS (2), CONNECTIONS (32),
#   DURATION (10s), DEVICES (100000; 0 skips the large report), DURING (8s: the token run around a
#   second large report, for token latency during ingestion), REPORT_DEVICES (10),
#   LICSAT_THREADS (licsat --threads; default: licsat's own default), EXTRA_SERVE_ARGS (more
#   `licsat serve` flags, e.g. "--max-usage-body-bytes 67108864"; printed with the settings).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$build/licsat
[[ -x $bin ]] || { echo "no $bin; build first (cmake --build $build --target licsat)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing (Debian package wrk; scripts/install-deps.sh installs it)" >&2; exit 2; }

BACKENDS=${BACKENDS:-sqlite pg-async pg-sync}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10s}
DEVICES=${DEVICES:-100000}
DURING=${DURING:-8s}
REPORT_DEVICES=${REPORT_DEVICES:-10}
LICSAT_THREADS=${LICSAT_THREADS:-}
EXTRA_SERVE_ARGS=${EXTRA_SERVE_ARGS:-}
password=bench-admin-password-1

work=$(mktemp -d /tmp/licsat-bench-pg-XXXXXX)
pid=
pg_dir=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n $pg_dir ]]; then bash "$root/scripts/pg-test-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

note() { echo "  $*" >&2; }

# ---------------------------------------------------------------------------------------------
# One server at a time.

start_server() {  # start_server NAME [--database URL]
  local name=$1
  shift
  local dir=$work/$name args
  mkdir -p "$dir"
  args=(serve --data "$dir/data" --listen 127.0.0.1:0 --port-file "$dir/port" --log-level warn "$@")
  [[ -n $LICSAT_THREADS ]] && args+=(--threads "$LICSAT_THREADS")
  # shellcheck disable=SC2206
  [[ -n $EXTRA_SERVE_ARGS ]] && args+=($EXTRA_SERVE_ARGS)
  LICSAT_ADMIN_PASSWORD=$password "$bin" "${args[@]}" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    if [[ -s $dir/port ]] && curl -sk -o /dev/null --fail "https://127.0.0.1:$(cat "$dir/port")/healthz"; then
      url=https://127.0.0.1:$(cat "$dir/port")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "licsat did not start ($name):" >&2
  cat "$dir/server.log" >&2
  exit 1
}

stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

run_wrk() {  # run_wrk LUA PATH → prints the RESULT line
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$1" "$url$2" 2>&1 | tee -a "$work/wrk.log" | grep '^RESULT' || echo "RESULT rps=0 p50_ms=0 p99_ms=0 requests=0 non2xx=0 socket_errors=0"
}

field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }  # field NAME RESULT_LINE

declare -A R=()  # R[backend.metric]

make_report() {  # the large report, written once, on first use
  [[ -s $work/report.json ]] && return 0
  python3 - "$DEVICES" "$work/report.json" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
tags = ["network-advantage", "dna-advantage", "security-essentials"]
with open(out, "w") as f:
    f.write('{"reportId":"bench-big-1","manager":"bench-manager","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},"devices":[')
    for i in range(n):
        if i: f.write(",")
        f.write(json.dumps({"pid": "C9300-48P", "sn": "FOC%08d" % i, "hostname": "switch-%06d.campus.example.com" % i,
                            "licenses": [{"tag": t, "count": 1 + (i + k) % 3} for k, t in enumerate(tags)]},
                           separators=(",", ":")))
    f.write("]}")
PY
}

# Token latency while a large report is ingested: wrk posts tokens for $DURING; one second in,
# the same $DEVICES-device report goes to a second smart account (all its devices new), timed.
# wrk's p99 and max cover the whole window, the report's time in it included.
tokens_during_ingest() {  # tokens_during_ingest NAME ADMIN_TOKEN BASIC
  local name=$1 admin=$2 basic=$3 line t wrk_pid
  curl -sk --fail-with-body -o /dev/null -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    "$url/api/v1/admin/accounts" -d '{"name":"bench2","domain":"bench2.example"}'
  curl -sk --fail-with-body -o /dev/null -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    "$url/api/v1/admin/accounts/bench2/virtual-accounts" -d '{"name":"Campus"}'
  sed 's/"bench-big-1"/"bench-big-2"/' "$work/report.json" >"$work/report2.json"
  ( BASIC=$basic wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURING" --latency -s "$root/bench/lua/pg_vs_sqlite_token.lua" \
      "$url/oauth/token" >"$work/during.log" 2>&1 ) &
  wrk_pid=$!
  sleep 1  # wrk's connections are up and the load is steady
  t=$(curl -sk --fail-with-body -o "$work/ack2.json" -w '%{time_total}' -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/json' -H 'Expect:' --data-binary @"$work/report2.json" \
        "$url/api/v1/accounts/bench2/virtual-accounts/Campus/usage") || t=FAILED
  wait "$wrk_pid" || true
  line=$(grep '^RESULT' "$work/during.log" || echo "RESULT rps=0 p50_ms=0 p99_ms=0 requests=0 non2xx=0 socket_errors=0 max_ms=0")
  R[$name.dur_big_s]=$t
  R[$name.dur_rps]=$(field rps "$line")
  R[$name.dur_p99]=$(field p99_ms "$line")
  R[$name.dur_max]=$(field max_ms "$line")
  note "tokens during the report (${t} s): $line"
}

bench_backend() {  # bench_backend NAME [--database URL]
  local name=$1 admin basic g line t vmhwm
  echo "--- $name" >&2
  start_server "$@"
  admin=$(curl -sk --fail-with-body "$url/oauth/token" -d grant_type=password -d client_id=licsat-admin \
            -d username=admin -d "password=$password" | json_field access_token)
  g=$(curl -sk --fail-with-body -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
        "$url/api/v1/admin/grants" -d '{"name":"bench-monitoring","type":"client_credentials"}')
  basic=$(python3 -c 'import base64,json,sys; g=json.loads(sys.argv[1]); print(base64.b64encode((g["client_id"]+":"+g["client_secret"]).encode()).decode())' "$g")
  # One request first: the grant works (and the connection path is warm).
  curl -sk --fail-with-body -o /dev/null -H "Authorization: Basic $basic" "$url/oauth/token" -d grant_type=client_credentials

  line=$(BASIC=$basic run_wrk "$root/bench/lua/pg_vs_sqlite_token.lua" /oauth/token)
  R[$name.tok_rps]=$(field rps "$line")
  R[$name.tok_p50]=$(field p50_ms "$line")
  R[$name.tok_p99]=$(field p99_ms "$line")
  R[$name.tok_bad]=$(( $(field non2xx "$line") + $(field socket_errors "$line") ))
  R[$name.tok_n]=$(field requests "$line")
  note "tokens: $line"

  # Usage reports, when this build has the licensing API.
  local code
  code=$(curl -sk -o "$work/acct.json" -w '%{http_code}' -H "Authorization: Bearer $admin" \
           -H 'Content-Type: application/json' "$url/api/v1/admin/accounts" -d '{"name":"bench","domain":"bench.example"}')
  if [[ $code != 2* ]]; then
    R[$name.usage]="absent (POST /api/v1/admin/accounts: $code)"
    note "usage: licensing API absent in this build (POST /api/v1/admin/accounts answered $code); skipped"
  else
    R[$name.usage]=yes
    curl -sk --fail-with-body -o /dev/null -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
      "$url/api/v1/admin/accounts/bench/virtual-accounts" -d '{"name":"Campus"}'
    for t in network-advantage dna-advantage security-essentials; do
      curl -sk --fail-with-body -o /dev/null -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
        "$url/api/v1/admin/accounts/bench/virtual-accounts/Campus/licenses" -d "{\"tag\":\"$t\",\"quantity\":1000000}"
    done
    local usage=/api/v1/accounts/bench/virtual-accounts/Campus/usage
    if ((DEVICES > 0)); then
      make_report
      # `Expect:` turns off curl's 100-continue wait (1 s) for large bodies (bench/usage_ingest.sh).
      t=$(curl -sk --fail-with-body -o "$work/ack.json" -w '%{time_total}' -H "Authorization: Bearer $admin" \
            -H 'Content-Type: application/json' -H 'Expect:' --data-binary @"$work/report.json" "$url$usage") ||
        { note "large report failed: $(head -c 300 "$work/ack.json")"; t=FAILED; }
      vmhwm=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
      R[$name.big_s]=$t
      R[$name.big_mb]=$vmhwm
      note "large report: ${t} s, server VmHWM ${vmhwm} MB: $(head -c 120 "$work/ack.json")"
      tokens_during_ingest "$name" "$admin" "$basic"
    fi
    line=$(TOKEN=$admin USAGE_PATH=$usage RUN="$name-$$" REPORT_DEVICES=$REPORT_DEVICES \
             run_wrk "$root/bench/lua/pg_vs_sqlite_usage.lua" "$usage")
    R[$name.rep_rps]=$(field rps "$line")
    R[$name.rep_p99]=$(field p99_ms "$line")
    R[$name.rep_bad]=$(( $(field non2xx "$line") + $(field socket_errors "$line") ))
    note "small reports: $line"
  fi
  stop_server
}

# ---------------------------------------------------------------------------------------------


pg_url=
pg_version=
if [[ " $BACKENDS " == *" pg-"* ]]; then
  # A directory of its own under /tmp: under root the cluster runs as `postgres`, which must
  # reach it (and cannot enter $work, mode 0700).
  pg_dir=$(mktemp -d /tmp/licsat-bench-pgdata-XXXXXX)
  pg_url=$(bash scripts/pg-test-cluster.sh start "$pg_dir" 2>"$work/pg-start.log" | tail -1) || true
  [[ $pg_url == postgresql://* ]] || { cat "$work/pg-start.log" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }
  pg_version=$(psql -X -At -d "$pg_url" -c 'SHOW server_version')
  # The test cluster runs with fsync=off and full_page_writes=off; a benchmark wants real disks.
  psql -X -q -d "$pg_url" -c 'ALTER SYSTEM SET fsync = on' -c 'ALTER SYSTEM SET full_page_writes = on' \
    -c 'SELECT pg_reload_conf()' >/dev/null
fi

for b in $BACKENDS; do
  case $b in
    sqlite) bench_backend sqlite ;;
    pg-async | pg-sync)
      db=bench_${b#pg-}
      commit=$([[ $b == pg-sync ]] && echo on || echo off)
      psql -X -q -d "$pg_url" -c "CREATE DATABASE $db" -c "ALTER DATABASE $db SET synchronous_commit = $commit" >/dev/null
      R[$b.settings]="fsync $(psql -X -At -d "${pg_url%/*}/$db" -c 'SHOW fsync'), sync_commit $(psql -X -At -d "${pg_url%/*}/$db" -c 'SHOW synchronous_commit')"
      bench_backend "$b" --database "${pg_url%/*}/$db"
      R[$b.tokens_stored]=$(psql -X -At -d "${pg_url%/*}/$db" -c 'SELECT count(*) FROM tokens' 2>/dev/null || echo '?')
      ;;
    *) echo "unknown backend $b" >&2; exit 2 ;;
  esac
  if [[ $b == sqlite ]]; then
    R[sqlite.settings]="WAL, synchronous NORMAL"
    R[sqlite.tokens_stored]=$(sqlite3 "$work/sqlite/data/licsat.db" 'SELECT count(*) FROM tokens' 2>/dev/null || echo '?')
  fi
done

# ---------------------------------------------------------------------------------------------
echo
echo "licsat token throughput and usage ingestion: SQLite beside PostgreSQL"
echo "machine:  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the end; other work on the machine skews the figures)"
echo "licsat:   $($bin --version 2>/dev/null | head -1 || echo '?') ($bin), --threads ${LICSAT_THREADS:-default}${EXTRA_SERVE_ARGS:+ $EXTRA_SERVE_ARGS}, everything on loopback"
echo "client:   $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), -t$THREADS -c$CONNECTIONS -d$DURATION, TLS keep-alive, POST /oauth/token grant_type=client_credentials with HTTP Basic"
[[ -n $pg_version ]] && echo "postgres: $pg_version, throwaway cluster on 127.0.0.1 (shared_buffers=32MB, max_connections=200)"
echo
cols=($BACKENDS)
row() { local label=$1 key=$2; printf '%-34s' "$label"; for b in "${cols[@]}"; do printf '%28s' "${R[$b.$key]:--}"; done; echo; }
printf '%-34s' ""; for b in "${cols[@]}"; do printf '%28s' "$b"; done; echo
row "durability" settings
row "tokens/s (client_credentials)" tok_rps
row "  p50 latency ms" tok_p50
row "  p99 latency ms" tok_p99
row "  requests in the run" tok_n
row "  non-2xx + socket errors" tok_bad
row "  tokens in the database at end" tokens_stored
if [[ ${R[${cols[0]}.usage]:-} == yes ]]; then
  if ((DEVICES > 0)); then
    row "report of $DEVICES devices x 3: s" big_s
    row "  server VmHWM after it, MB" big_mb
    row "tokens/s during a 2nd such report" dur_rps
    row "  p99 latency ms" dur_p99
    row "  max latency ms" dur_max
    row "  the report meanwhile: s" dur_big_s
  fi
  row "reports/s ($REPORT_DEVICES devices x 3 each)" rep_rps
  row "  p99 latency ms" rep_p99
  row "  non-2xx + socket errors" rep_bad
else
  echo "usage ingestion: skipped: ${R[${cols[0]}.usage]:-not run} (the licensing API is not in this build)"
fi
