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

# free_port: prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_nginx_fixed DIR CERT KEY: nginx answering every request on loopback with a fixed token-like
# JSON body over TLS with CERT/KEY, the ceiling for a TLS request/response on this machine.
# Sets NGINX_PID and NGINX_URL.
start_nginx_fixed() {
  local dir=$1 cert=$2 key=$3 port
  port=$(free_port)
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<NGX
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/cb; proxy_temp_path $dir/p; fastcgi_temp_path $dir/f;
  uwsgi_temp_path $dir/u; scgi_temp_path $dir/s;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      default_type application/json;
      return 200 '{"access_token":"0daRWUZdl_4-aIwjObZyduXE4IoN8nl0eUEAv8joI5k","token_type":"Bearer","expires_in":3600,"scope":"licensing","created_at":1795627951}';
    }
  }
}
NGX
  /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" &
  NGINX_PID=$!
  NGINX_URL="https://127.0.0.1:$port/"
  for _ in $(seq 1 100); do
    curl -sfk -o /dev/null "$NGINX_URL" && break
    sleep 0.05
  done
}

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
