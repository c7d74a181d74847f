#!/usr/bin/env bash
# Backup and restore of a large store (issue 20): time and peak memory (VmHWM, from GNU time's
# "Maximum resident set size") of `licsat backup` and `licsat restore` on ROWS events plus
# ROWS/2 devices with two usage rows each, which should stay flat as ROWS grows (both stream a
# page of rows at a time).
#
#   bench/backup.sh [BUILD_DIR] [ROWS]        (defaults: build, 1000000)
#
# Makes a SQLite store with `licsat serve` (stopped again), fills it with sqlite3 in bulk, then
# times: backup (plain), backup (encrypted), restore onto SQLite, and, when LICSAT_BENCH_PG_URL
# names a PostgreSQL server (postgresql://user@host:port/db, a database it may create others
# on), restore onto PostgreSQL and a backup from it. Machine and settings first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${1:-build}
rows=${2:-1000000}
bin=$(cd "$build" && pwd)/licsat
work=$(mktemp -d /tmp/licsat-bench-backup-XXXXXX)
trap 'kill "${LICSAT_PID:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

bench_machine
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); rows: $rows events + $((rows / 2)) devices x 2 usage rows"

start_licsat "$bin" "$work/src"
kill "$LICSAT_PID"; wait "$LICSAT_PID" 2>/dev/null || true; LICSAT_PID=
half=$((rows / 2))
sqlite3 "$work/src/licsat.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
INSERT INTO events (time, actor, source_ip, action, outcome, detail)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
  SELECT 1800000000 + i, 'client-' || (i % 50), '10.0.0.' || (i % 250), 'token.issue', 'success',
         'grant ''monitoring'' issued an access token, scope ' || i FROM n;
INSERT INTO smart_accounts (name, created_at, created_by) VALUES ('bench', 1, 'bench');
INSERT INTO virtual_accounts (account_id, name, created_at, created_by) VALUES (1, 'DEFAULT', 1, 'bench');
INSERT INTO devices (account_id, va_id, pid, sn, hostname, last_report)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $half)
  SELECT 1, 1, 'C8000V', 'SN' || i, 'edge-' || i, 1800000000 FROM n;
INSERT INTO device_usage (device_id, tag, va_id, count, period_start, period_end, report_id)
  SELECT id, 'tag_a', 1, 1, 0, 1, 'r1' FROM devices UNION ALL SELECT id, 'tag_b', 1, 2, 0, 1, 'r1' FROM devices;
COMMIT;
SQL
echo "store: $(du -sh "$work/src/licsat.db" | cut -f1) SQLite"

timed() {  # timed LABEL command…: prints wall time and peak RSS
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  read -r secs kib <"$work/time"
  printf '%-40s %8.2f s  peak RSS %6d MiB\n' "$label" "$secs" $((kib / 1024))
}

printf 'secret passphrase\n' >"$work/pass"
timed "backup, SQLite, plain" "$bin" backup --data "$work/src" --out "$work/plain.backup"
echo "  file: $(du -h "$work/plain.backup" | cut -f1)"
timed "backup, SQLite, encrypted" "$bin" backup --data "$work/src" --out "$work/enc.backup" --passphrase-file "$work/pass"
timed "restore onto SQLite (plain file)" "$bin" restore --data "$work/dst" --from "$work/plain.backup"
timed "restore onto SQLite (encrypted file)" "$bin" restore --data "$work/dst2" --from "$work/enc.backup" \
  --passphrase-file "$work/pass"

if [[ -n "${LICSAT_BENCH_PG_URL:-}" ]]; then
  db="licsat_bench_backup_$$"
  psql -q -d "$LICSAT_BENCH_PG_URL" -c "CREATE DATABASE $db"
  pg="${LICSAT_BENCH_PG_URL%/*}/$db"
  timed "restore onto PostgreSQL" "$bin" restore --data "$work/pgdata" --database "$pg" --from "$work/plain.backup"
  timed "backup, PostgreSQL, plain" "$bin" backup --data "$work/pgdata" --database "$pg" --out "$work/pg.backup"
  psql -q -d "$LICSAT_BENCH_PG_URL" -c "DROP DATABASE $db"
fi
