#!/usr/bin/env bash
# make bench-peers: licsat's client_credentials token endpoint side by side with peers, in one run,
# loopback only, each server started and stopped here and put under the same wrk load as
# bench/tokens.sh (wrk -t2 -c32 -d10s, TLS keep-alive, HTTP Basic client authentication):
#   - nginx returning a fixed token-like JSON body (the ceiling for a TLS request/response);
#   - licsat (a client_credentials grant made through its REST API, as bench/tokens.sh does);
#   - panva's oidc-provider from npm (version pinned in package.json/package-lock.json), opaque
#     tokens, its default in-memory store, one Node process (server.mjs);
#   - Glewlwyd from Debian, its oidc plugin, SQLite, a confidential client (glewlwyd.conf.in).
# Every server speaks TLS itself with the one certificate licsat made (ECDSA P-256), so all rows
# share one transport and no proxy is in front of anyone. Before load, one curl per server checks
# that it issues a token (access_token in a 200 JSON body); during load a wrk Lua script counts
# every non-2xx response (token_status.lua), and tokens/s counts only 2xx responses.
# Usage: bench/peers/run.sh [BUILD_DIR]
#   DURATION=10s CONNECTIONS=32 THREADS=2 TIMEOUT=10s   wrk settings
#   WARMUP=2s                                            unmeasured wrk run before each row (0: none)
#   SERVERS="nginx licsat oidc-provider glewlwyd"        which rows, in this order
# Peers are installed by bench/peers/install.sh (apt-get glewlwyd, npm ci), which this script runs.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
build=${1:-build}
case $build in /*) bin=$build/licsat ;; *) bin=$(cd "$here/../.." && pwd)/$build/licsat ;; esac
D=${DURATION:-10s} C=${CONNECTIONS:-32} T=${THREADS:-2} TO=${TIMEOUT:-10s} W=${WARMUP:-2s}
SERVERS=${SERVERS:-nginx licsat oidc-provider glewlwyd}
[[ -x "$bin" ]] || { echo "bench/peers: no licsat binary at $bin (make build first)" >&2; exit 1; }
bash "$here/install.sh"

work=$(mktemp -d /tmp/licsat-peers-XXXXXX)
pids=()
# stop PID [NAME]: SIGTERM, then SIGKILL if the process is still there after 5 s; reaps it. With
# NAME, an exit other than a clean one or by those signals is noted under the table.
notes=()
stop() {
  local rc
  {
    kill "$1" || return 0
    for _ in $(seq 1 50); do
      [[ $(awk '{print $3}' "/proc/$1/stat") =~ ^(Z|)$ ]] && break
      sleep 0.1
    done
    kill -9 "$1" || true
    wait "$1" && rc=0 || rc=$?
  } 2>/dev/null # bash's own "Segmentation fault" job report too: the status is noted below
  if [[ -n ${2:-} && $rc != 0 && $rc != 143 && $rc != 137 ]]; then
    notes+=("$2 exited with status $rc when stopped after its run (139: segmentation fault)")
  fi
  return 0
}
cleanup() { for p in "${pids[@]}" "${LICSAT_PID:-}"; do [[ -n $p ]] && stop "$p"; done; rm -rf "$work"; }
trap cleanup EXIT
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# wait_https URL: until the server answers anything over TLS (any HTTP status).
wait_https() {
  for _ in $(seq 1 200); do
    [[ $(curl -sk -o /dev/null -w '%{http_code}' "$1" || true) != 000 ]] && return 0
    sleep 0.05
  done
  echo "bench/peers: nothing answers at $1" >&2
  return 1
}

rows=()
# cpu_ticks PID: CPU time (user + system, in clock ticks) of PID and its child processes
# (nginx's workers) so far, all threads included.
cpu_ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# measure NAME VERSION PID URL CLIENT_ID CLIENT_SECRET BODY: one validating curl, then the wrk
# run against the server PID; appends a row
# "name|version|tokens/s|p50|p99|requests|non2xx|socket errors|tokens per server CPU-second|load".
measure() {
  local name=$1 version=$2 pid=$3 url=$4 id=$5 sec=$6 body=$7 code line tag t0 t1
  tag=$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)
  code=$(curl -s --cacert "$cert" -o "$work/$tag.validate" -w '%{http_code}' -u "$id:$sec" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "$body" "$url" || true)
  if [[ $code != 200 ]] || ! python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["access_token"]
assert isinstance(t, str) and t' "$work/$tag.validate" 2>/dev/null; then
    echo "bench/peers: $name did not issue a token before load: HTTP $code" \
      "$(head -c 300 "$work/$tag.validate" 2>/dev/null)" >&2
    rows+=("$name|$version|NO TOKEN (HTTP $code)|-|-|-|-|-|-|-")
    return 0
  fi
  export BASIC=$(printf '%s:%s' "$id" "$sec" | base64 -w0) BODY=$body
  # The same short load first, unmeasured, so that a JIT (Node) or a cache starts warm.
  [[ $W == 0 ]] || wrk -t"$T" -c"$C" -d"$W" --timeout "$TO" -s "$here/token_status.lua" "$url" >/dev/null 2>&1 || true
  local l=$(load1)
  t0=$(cpu_ticks "$pid")
  wrk -t"$T" -c"$C" -d"$D" --timeout "$TO" -s "$here/token_status.lua" "$url" >"$work/$tag.wrk" 2>&1 || true
  t1=$(cpu_ticks "$pid")
  line=$(grep '^RESULT' "$work/$tag.wrk" || true)
  if [[ -z $line ]]; then
    echo "bench/peers: wrk failed against $name: $(head -c 300 "$work/$tag.wrk")" >&2
    rows+=("$name|$version|WRK FAILED|-|-|-|-|-|-|$l")
    return 0
  fi
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  local per_cpu=- ok=$(($(field requests) - $(field non2xx)))
  ((t1 > t0)) && per_cpu=$(num "$ok * $(getconf CLK_TCK) / ($t1 - $t0)")
  local counts="$(field requests)|$(field non2xx)|$(field socket_errors)"
  rows+=("$name|$version|$(num "$(field ok_rps)")|$(field p50_ms)|$(field p99_ms)|$counts|$per_cpu|$l")
}
# num EXPR: the value of an arithmetic expression, one decimal below 100, none above.
num() { awk "BEGIN { v = $1; printf(v < 100 ? \"%.1f\" : \"%.0f\", v) }"; }
want() { [[ " $SERVERS " == *" $1 "* ]]; }

bench_machine
echo "settings: wrk -t$T -c$C -d$D --timeout $TO after an unmeasured ${W} warm-up, POST client_credentials" \
  "with HTTP Basic client auth, TLS keep-alive (one certificate, ECDSA P-256), loopback;" \
  "wrk shares the $(nproc) cores with the server"

# licsat first: its certificate is the one every server uses.
start_licsat "$bin" "$work/licsat"
cert=$work/licsat/tls/cert.pem key=$work/licsat/tls/key.pem
licsat_version=$("$bin" --version 2>/dev/null | head -1 | awk '{print $NF}')

if want nginx; then
  start_nginx_fixed "$work/nginx" "$cert" "$key"
  pids+=("$NGINX_PID")
  version=$(dpkg-query -W -f='${Version}' nginx 2>/dev/null || /usr/sbin/nginx -v 2>&1 | sed 's|.*nginx/||')
  measure "nginx fixed JSON body (ceiling)" "$version" "$NGINX_PID" "$NGINX_URL" any any grant_type=client_credentials
  stop "$NGINX_PID" nginx
fi

if want licsat; then
  read -r cid csec < <(make_grant "$(admin_token)" bench-peers client_credentials)
  measure licsat "$licsat_version" "$LICSAT_PID" "$LICSAT_URL/oauth/token" "$cid" "$csec" \
    grant_type=client_credentials
fi
stop "$LICSAT_PID" licsat

# run_oidc_provider: server.mjs on a free loopback port; returns non-zero if it does not start.
run_oidc_provider() {
  local port sec
  port=$(free_port) sec=$(secret)
  node "$here/server.mjs" "$port" "$cert" "$key" bench-cc "$sec" >"$work/oidc-provider.log" 2>&1 &
  pids+=($!)
  wait_https "https://127.0.0.1:$port/.well-known/openid-configuration" || return 1
  measure "oidc-provider" "$(cd "$here" && node -p "require('oidc-provider/package.json').version"), node $(node --version)" \
    "${pids[-1]}" "https://127.0.0.1:$port/token" bench-cc "$sec" grant_type=client_credentials
  stop "${pids[-1]}" oidc-provider
}

# run_glewlwyd: its own SQLite database and config on a free loopback port, set up through its
# admin API; returns non-zero if any step fails.
run_glewlwyd() {
  local g=$work/glewlwyd port sec url sql=/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3
  port=$(free_port) sec=$(secret)
  url=https://127.0.0.1:$port/api
  mkdir -p "$g"
  # The schema and admin user (admin/password) that the package's dbconfig step creates.
  if [[ -f $sql ]]; then
    sqlite3 "$g/glewlwyd.db" <"$sql" || return 1
  else
    cp /var/lib/dbconfig-common/sqlite3/glewlwyd/glewlwyd "$g/glewlwyd.db" || return 1
  fi
  sed -e "s|@DIR@|$g|g" -e "s|@PORT@|$port|g" -e "s|@CERT@|$cert|g" -e "s|@KEY@|$key|g" \
    "$here/glewlwyd.conf.in" >"$g/glewlwyd.conf"
  glewlwyd --config-file="$g/glewlwyd.conf" >"$g/stdout.log" 2>&1 &
  pids+=($!)
  wait_https "$url/" || return 1
  # Admin API with a session cookie from POST /api/auth/: a scope, an oidc plugin instance that
  # allows the client_credentials grant (HS256-signed JWT access tokens), confidential clients.
  # Without token_endpoint_auth_method every token request gets 403 with an empty body.
  gapi() {
    curl -sf --cacert "$cert" -b "$g/cookies" -c "$g/cookies" -H 'Content-Type: application/json' \
      -o /dev/null "$url/$1" -d "$2" || { echo "bench/peers: Glewlwyd admin API $1 failed" >&2; return 1; }
  }
  # Two confidential clients, one per way Glewlwyd keeps a client credential: a "password" is
  # stored hashed (PBKDF2-SHA256, 150,000 iterations by default) and checked by hashing it
  # on every request; a "client_secret" is stored as it is and compared.
  gclient() {
    gapi client/ "{\"client_id\":\"$1\",\"client_name\":\"$1\",\"$2\":\"$3\",\"confidential\":true,
      \"authorization_type\":[\"client_credentials\"],\"token_endpoint_auth_method\":[\"client_secret_basic\"],
      \"scope\":[\"bench\"],\"enabled\":true}"
  }
  gapi auth/ '{"username":"admin","password":"password"}' &&
    gapi scope/ '{"name":"bench","display_name":"bench","description":"client_credentials benchmark","password_required":false,"scheme":{}}' &&
    gapi mod/plugin/ "{\"module\":\"oidc\",\"name\":\"oidc\",\"display_name\":\"OpenID Connect\",\"enabled\":true,
      \"parameters\":{\"iss\":\"https://localhost:$port\",\"jwt-type\":\"sha\",\"jwt-key-size\":\"256\",\"key\":\"$(secret)\",
      \"access-token-duration\":3600,\"refresh-token-duration\":1209600,\"code-duration\":600,\"allow-non-oidc\":true,
      \"auth-type-client-enabled\":true,\"auth-type-code-enabled\":false,\"auth-type-token-enabled\":false,
      \"auth-type-implicit-enabled\":false,\"auth-type-password-enabled\":false,\"auth-type-refresh-enabled\":false}}" &&
    gclient bench-password password "$sec" && gclient bench-secret client_secret "$sec" || return 1
  # Glewlwyd refuses a client_credentials request without a scope (403), so its body names one.
  local version
  version=$(dpkg-query -W -f='${Version}' glewlwyd 2>/dev/null || glewlwyd --version 2>&1 | tail -1)
  measure "Glewlwyd, client password" "$version" "${pids[-1]}" "$url/oidc/token" bench-password "$sec" \
    'grant_type=client_credentials&scope=bench'
  measure "Glewlwyd, client secret" "$version" "${pids[-1]}" "$url/oidc/token" bench-secret "$sec" \
    'grant_type=client_credentials&scope=bench'
  stop "${pids[-1]}" Glewlwyd
}

if want oidc-provider && ! run_oidc_provider; then
  rows+=("oidc-provider|-|SETUP FAILED|-|-|-|-|-|-|-")
  stop "${pids[-1]}"
fi
if want glewlwyd && ! run_glewlwyd; then
  rows+=("Glewlwyd|-|SETUP FAILED|-|-|-|-|-|-|-")
  stop "${pids[-1]}"
fi

echo
ceiling=
for r in "${rows[@]}"; do [[ $r == nginx* ]] && ceiling=$(cut -d'|' -f3 <<<"$r"); done
fmt='| %-31s | %-21s | %-9s | %8s | %7s | %7s | %8s | %7s | %7s | %7s | %9s | %5s |\n'
printf "$fmt" server version transport tokens/s p50_ms p99_ms requests non-2xx sockerr xnginx tok/cpu-s load1
printf "$fmt" $(for w in 31 21 9 8 7 7 8 7 7 7 9 5; do printf -- '-%.0s' $(seq 1 "$w"); echo; done)
for r in "${rows[@]}"; do
  IFS='|' read -r name version tps p50 p99 req bad serr per_cpu l <<<"$r"
  ratio=-
  [[ $tps =~ ^[0-9.]+$ && $ceiling =~ ^[0-9.]+$ ]] &&
    ratio=$(python3 -c "r = $tps / $ceiling; print(f'{r:.3f}' if r >= 0.01 else f'{r:.1e}')")
  printf "$fmt" "$name" "$version" TLS "$tps" "$p50" "$p99" "$req" "$bad" "$serr" "$ratio" "$per_cpu" "$l"
done
echo
echo "tokens/s counts 2xx responses only; non-2xx and socket errors (sockerr) over the whole run;"
echo "xnginx: tokens/s over nginx's; tok/cpu-s: 2xx responses per CPU-second the server itself used"
echo "(user + system, all threads and worker processes; wrk's own CPU not counted), which depends"
echo "less on what else runs on the machine; load1: 1-minute load average before that row's run."
echo "per token: licsat checks the secret with a keyed hash and persists the token (SQLite);"
echo "oidc-provider keeps an opaque token in its in-memory store, one Node process; Glewlwyd signs an"
echo "HS256 JWT, stores it (SQLite) and checks a client password with PBKDF2-SHA256 (150,000"
echo "iterations, its default) or compares a client secret kept in clear; its body also has scope=bench."
for n in "${notes[@]}"; do echo "note: $n"; done
