#!/usr/bin/env bash
# Installs the peers that bench/peers/run.sh measures (not needed by make test or make bench):
#   - Glewlwyd from Debian (apt-get package `glewlwyd`);
#   - panva's oidc-provider from npm, the exact version pinned in package.json and
#     package-lock.json beside this script (npm ci into bench/peers/node_modules, git-ignored).
# Idempotent: does nothing for a peer that is already installed at the pinned version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

need=()
command -v glewlwyd >/dev/null || need+=(glewlwyd)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if ((${#need[@]})); then
  sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update -q
  # The glewlwyd package's dbconfig-common step asks which database to use; noninteractive takes
  # its default (SQLite). run.sh makes its own database and config, so the answer does not matter.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
  # On a machine booted with systemd the package starts glewlwyd.service on port 4593 on every
  # interface; the benchmark runs its own instance on loopback, so stop and disable that one.
  if [[ " ${need[*]} " == *" glewlwyd "* ]] && [[ -d /run/systemd/system ]]; then
    $sudo systemctl disable --now glewlwyd.service >/dev/null 2>&1 || true
  fi
fi

pinned=$(node -p "require('$here/package.json').dependencies['oidc-provider']")
installed=$(cd "$here" && node -p "try { require('oidc-provider/package.json').version } catch { '' }" 2>/dev/null || true)
if [[ "$installed" != "$pinned" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
