# Shared helpers of the bench scripts: start licsat on a temporary data dir, log in, make grants.
# Sourced, not run.
set -euo pipefail

bench_machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(uname -r)"
}

# start_licsat BINARY DIR [extra args…]: sets LICSAT_PID, LICSAT_URL, LICSAT_CA.
start_licsat() {
  local bin=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  LICSAT_ADMIN_PASSWORD=bench-admin-password "$bin" serve --data "$dir" --listen 127.0.0.1:0 \
    --port-file "$dir/port" --log-level warn "$@" >"$dir.log" 2>&1 &
  LICSAT_PID=$!
  for _ in $(seq 1 200); do
    [[ -s "$dir/port" ]] && curl -sf -k "https://127.0.0.1:$(cat "$dir/port")/healthz" >/dev/null && break
    sleep 0.05
  done
  LICSAT_URL="https://localhost:$(cat "$dir/port")"
  LICSAT_CA="$dir/tls/cert.pem"
}

admin_token() {
  curl -sf --cacert "$LICSAT_CA" "$LICSAT_URL/oauth/token" -d grant_type=password -d client_id=licsat-admin \
    -d username=admin -d password=bench-admin-password | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# make_grant TOKEN NAME TYPE → prints "client_id client_secret"
make_grant() {
  curl -sf --cacert "$LICSAT_CA" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    "$LICSAT_URL/api/v1/admin/grants" -d "{\"name\":\"$2\",\"type\":\"$3\"}" |
    python3 -c 'import json,sys; g=json.load(sys.stdin); print(g["client_id"], g["client_secret"])'
}

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
