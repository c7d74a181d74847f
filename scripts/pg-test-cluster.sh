#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   scripts/pg-test-cluster.sh start DIR   -> prints postgresql://licsat@127.0.0.1:PORT/licsat (last line)
#   scripts/pg-test-cluster.sh stop DIR    -> stops the cluster and removes DIR
#
# The cluster listens on 127.0.0.1 only (a free port chosen here), with trust authentication,
# no Unix socket, and durability switched off for speed: it is for tests, never for data.
# PostgreSQL refuses to run as root, so under root the server runs as the user `postgres` (or
# `nobody` when that user does not exist) and DIR is handed to that user.
# Environment: PG_BINDIR (default: /usr/lib/postgresql/15/bin, else the newest installed),
#              LICSAT_PG_TEST_USER (the OS user to run as when started by root).
set -euo pipefail

readonly DB_USER=licsat DB_NAME=licsat MARKER=.licsat-pg-test

die() { echo "pg-test-cluster: $*" >&2; exit 1; }
log() { echo "pg-test-cluster: $*" >&2; }

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then echo /usr/lib/postgresql/15/bin; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [[ -n "$d" && -x "$d/initdb" ]] || die "PostgreSQL server binaries not found (install postgresql-15, or set PG_BINDIR)"
  echo "$d"
}

# The OS user that runs the server; empty when we are not root (run as ourselves).
run_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  if [[ -n "${LICSAT_PG_TEST_USER:-}" ]]; then echo "$LICSAT_PG_TEST_USER"
  elif getent passwd postgres >/dev/null; then echo postgres
  else echo nobody; fi
}

# as USER CMD...: runs CMD as USER (or directly when USER is empty), from a directory it can read.
as() {
  local user=$1; shift
  if [[ -z "$user" ]]; then "$@"
  elif command -v runuser >/dev/null; then runuser -u "$user" -- "$@"
  else su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p i
  for ((i = 0; i < 50; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free TCP port found on 127.0.0.1"
}

cmd_start() {
  local dir=$1 bin user port attempt
  bin=$(find_bindir)
  user=$(run_user)

  if [[ -e "$dir" ]]; then
    if [[ -f "$dir/$MARKER" ]]; then
      log "reusing $dir: stopping the cluster left there"
      cmd_stop "$dir" >/dev/null 2>&1 || true
    elif [[ -n "$(ls -A "$dir" 2>/dev/null)" ]]; then
      die "$dir exists and is not empty (and is not a test cluster of this script): refusing to touch it"
    fi
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  touch "$dir/$MARKER"
  # Whatever fails from here on leaves nothing behind: no server, no directory.
  STARTING_DIR=$dir
  trap 'if [[ -n "${STARTING_DIR:-}" ]]; then cmd_stop "$STARTING_DIR" >/dev/null 2>&1 || true; fi' EXIT
  if [[ -n "$user" ]]; then
    chown -R "$user:" "$dir"
    chmod 700 "$dir"
    as "$user" test -w "$dir" ||
      die "user '$user' cannot write $dir (a parent directory is not searchable by it); use a DIR under /tmp"
  fi
  cd "$dir"  # the server user must be able to read the working directory

  as "$user" "$bin/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust --encoding=UTF8 --no-locale --no-sync \
    --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  # Loopback only, no Unix socket, tuned for throwaway speed.
  cat >>"$dir/data/postgresql.conf" <<EOF

# pg-test-cluster.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 32MB
dynamic_shared_memory_type = mmap
logging_collector = off
log_min_messages = warning
EOF
  cat >"$dir/data/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER  ADDRESS        METHOD
host    all       all   127.0.0.1/32   trust
EOF

  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    if as "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 15 start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      break
    fi
    # Most likely another process took the port between the check and the start; try another.
    as "$user" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    port=""
  done
  [[ -n "$port" ]] || { tail -20 "$dir/server.log" >&2 || true; die "the server did not start"; }

  as "$user" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres \
    -c "CREATE DATABASE $DB_NAME" >/dev/null || die "could not create database $DB_NAME"

  STARTING_DIR=""
  log "cluster in $dir on port $port (stop: $0 stop $dir)"
  echo "postgresql://$DB_USER@127.0.0.1:$port/$DB_NAME"
}

cmd_stop() {
  local dir=$1 bin owner=""
  [[ -e "$dir" ]] || return 0
  [[ -f "$dir/$MARKER" ]] || die "$dir is not a test cluster of this script: refusing to remove it"
  bin=$(find_bindir)
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    [[ $(id -u) -eq 0 ]] && owner=$(stat -c %U "$dir/data")
    (cd "$dir" && as "$owner" "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1) || {
      # pg_ctl failed (e.g. a stale pid file): kill the postmaster named in the pid file, if it is one.
      local pid
      pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      if [[ "$pid" =~ ^[0-9]+$ ]] && grep -q postgres "/proc/$pid/comm" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 50); do [[ -e "/proc/$pid" ]] || break; sleep 0.1; done
      fi
    }
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; cmd_start "$2" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
  *) die "usage: $0 start DIR | stop DIR" ;;
esac
