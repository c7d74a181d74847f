#!/usr/bin/env bash
# A real admin's login time while 32 source addresses (127.0.0.1-32 .. 127.0.0.63) guess
# passwords of unknown users as fast as they are answered (issue 21 item 6). Prints the admin's
# login times (median, 90th percentile, worst) with no guessing and under guessing, and how the
# guesses were answered (400 wrong password, 429 slow_down from the argon2id gate or throttle).
# Usage: bench/login_under_guessing.sh [BUILD_DIR] [SAMPLES] [SECONDS_OF_GUESSING_PER_SAMPLE]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
BUILD=${1:-build}
SAMPLES=${2:-20}
work=$(mktemp -d)
trap 'kill $LICSAT_PID ${GUESSERS:-} 2>/dev/null || true; rm -rf "$work"' EXIT

bench_machine
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); argon2id default cost (t=2, 64 MiB); 32 guessing addresses"
start_licsat "$BUILD/licsat" "$work/data"

admin_login() {
  curl -s -o /dev/null -w '%{time_total} %{http_code}\n' --cacert "$LICSAT_CA" "$LICSAT_URL/oauth/token" \
    -d grant_type=password -d client_id=licsat-admin -d username=admin -d password=bench-admin-password
}

summary() {  # reads "seconds status" lines
  sort -n | awk '{t[NR]=$1; s[$2]++} END {printf "median %.3f s, p90 %.3f s, worst %.3f s;", t[int((NR+1)/2)], t[int(NR*0.9+0.5)], t[NR];
    for (k in s) printf " %s×%d", k, s[k]; print ""}'
}

echo -n "admin login, no guessing:    "
for _ in $(seq 1 "$SAMPLES"); do admin_login; done | summary

GUESSERS=""
for i in $(seq 32 63); do
  (n=0; while :; do
     curl -s -o /dev/null -w '%{http_code}\n' --interface "127.0.0.$i" --cacert "$LICSAT_CA" "$LICSAT_URL/oauth/token" \
       -d grant_type=password -d client_id=licsat-admin -d "username=nobody-$i-$n" -d password=guess-guess-guess
     n=$((n + 1))
   done >>"$work/guesses.$i") &
  GUESSERS="$GUESSERS $!"
done
# Wait until every guesser has had an answer before measuring.
for i in $(seq 32 63); do until [[ -s "$work/guesses.$i" ]]; do sleep 0.1; done; done
echo -n "admin login, 32 addresses guessing: "
for _ in $(seq 1 "$SAMPLES"); do admin_login; done | summary
kill $GUESSERS 2>/dev/null || true
GUESSERS=""
echo -n "guesses answered: "
cat "$work"/guesses.* | sort | uniq -c | awk '{printf "%s×%s ", $2, $1} END {print ""}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
