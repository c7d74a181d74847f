#!/usr/bin/env bash
# Installs every Debian 12 package that licsat's build, tests, fuzzing and benchmarks need.
# Idempotent: when everything is present it only runs dpkg queries (well under a second);
# `apt-get update` runs only when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git ca-certificates
  # libraries
  libboost-dev libboost-system-dev libssl-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libsodium-dev
  libgtest-dev libgmock-dev
  # tests: real clients and servers
  curl openssl sqlite3 postgresql-15 python3 python3-requests python3-requests-oauthlib tinyproxy
  # benchmarks
  wrk nginx-light procps
  # fuzzing (tests/fuzz, make fuzz): clang 14 with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # browser tests (tests/browser): Debian's Chromium, driven by playwright-core from npm
  chromium
  # metrics: promtool checks the /metrics scrape and the shipped alert rules
  prometheus
  # the Debian package (make deb) and its test: dpkg-deb, systemd-analyze, adduser
  dpkg-dev fakeroot systemd adduser
  # directory users and the Event Log to syslog: real slapd and rsyslog started by the tests
  slapd ldap-utils libldap-dev rsyslog
  # the Event Log to syslog over TLS: rsyslog's OpenSSL netstream driver (ossl) for the e2e receiver
  rsyslog-openssl
)
# Node.js and npm for the browser tests: Debian's (v18 on Debian 12) unless a node/npm is already
# installed some other way (e.g. NodeSource, whose nodejs package conflicts with Debian's npm).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
