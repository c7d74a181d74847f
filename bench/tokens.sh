#!/usr/bin/env bash
# Token endpoint throughput over TLS keep-alive, side by side with nginx returning a fixed JSON
# body over the same TLS certificate, in one run with the same wrk settings (DESIGN.md §6).
# Also /healthz, the password grant rate and the cost of one argon2id verification.
# Usage: bench/tokens.sh [BUILD_DIR]   (DURATION=10s CONNECTIONS=32 THREADS=2 to change)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${1:-build}
case $build in /*) bin=$build/licsat ;; *) bin=$(cd "$here/.." && pwd)/$build/licsat ;; esac
D=${DURATION:-10s} C=${CONNECTIONS:-32} T=${THREADS:-2}
work=$(mktemp -d /tmp/licsat-bench-XXXXXX)
cleanup() { kill "${LICSAT_PID:-}" "${NGINX_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bench_machine
echo "settings: wrk -t$T -c$C -d$D, TLS keep-alive, loopback; wrk shares the cores with the server"
start_licsat "$bin" "$work/licsat"
tok=$(admin_token)
read -r cid csec < <(make_grant "$tok" bench-cc client_credentials)
read -r rid rsec < <(make_grant "$tok" bench-ro resource_owner)
export BASIC=$(printf '%s:%s' "$cid" "$csec" | base64 -w0)

# nginx: the ceiling for a TLS request/response on this machine, same certificate.
start_nginx_fixed "$work/nginx" "$work/licsat/tls/cert.pem" "$work/licsat/tls/key.pem"

run() { wrk -t"$T" -c"$C" -d"$D" -s "$here/lua/$1" "$2" 2>&1 | grep '^BENCH' | sed 's/^BENCH //'; }
rss_before=$(rss_kb "$LICSAT_PID")
nginx_line=$(run get.lua "$NGINX_URL")
health_line=$(run get.lua "$LICSAT_URL/healthz")
cc_line=$(run token_cc.lua "$LICSAT_URL/oauth/token")
rss_after=$(rss_kb "$LICSAT_PID")

# Every token issued is persisted: count them in the database.
tokens=$(sqlite3 "$work/licsat/licsat.db" "SELECT COUNT(*) FROM tokens WHERE kind='access'")

# Password grant: one argon2id verification per request (64 MiB, t=2 by default).
export BASIC=$(printf '%s:%s' "$rid" "$rsec" | base64 -w0) BENCH_USER=admin BENCH_PASSWORD=bench-admin-password
pw_line=$(wrk -t2 -c4 -d5s -s "$here/lua/token_password.lua" "$LICSAT_URL/oauth/token" 2>&1 | grep '^BENCH' | sed 's/^BENCH //')

[[ -x "$(dirname "$bin")/crypto_cost" ]] && "$(dirname "$bin")/crypto_cost"
printf '%-44s %s\n' "nginx fixed JSON body (TLS ceiling)" "$nginx_line"
printf '%-44s %s\n' "licsat GET /healthz" "$health_line"
printf '%-44s %s\n' "licsat client_credentials token" "$cc_line"
printf '%-44s %s\n' "licsat password grant (-c4, argon2id)" "$pw_line"
ratio=$(python3 -c "import re,sys; a=float(re.search(r'rps=(\d+)', '''$cc_line''').group(1)); b=float(re.search(r'rps=(\d+)', '''$nginx_line''').group(1)); print(f'{a/b:.2f}')")
echo "licsat tokens / nginx ceiling: $ratio (bar: >= 0.50)"
echo "access tokens persisted in the database: $tokens"
echo "licsat RSS: ${rss_before} kB before, ${rss_after} kB after the token run"
