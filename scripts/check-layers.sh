#!/usr/bin/env bash
# Fails on any #include of src/ that breaks the dependency table of docs/architecture.md
# ("Who may include whom"), except the known exceptions listed below by file, each with its reason.
#
#   bash scripts/check-layers.sh
#
# Exit 0 when every include keeps to the table; 1 with one line per breach otherwise. An exception
# that no longer occurs is reported too (remove it from the list), so the list stays true.
set -euo pipefail
cd "$(dirname "$0")/.."

# folder -> the folders it may include (its own included).
declare -A allowed=(
  [core]="core"
  [domain]="core domain"
  [store]="core domain store"
  [protocol]="core domain protocol"
  [directory]="core domain directory"
  [oauth]="core domain oauth"
  [http]="core http"
  [manager]="core protocol manager"
  [sync]="core domain store protocol sync"
  [api]="core domain protocol oauth http sync api"
  [cli]="core domain store protocol directory oauth http manager sync api cli"
)

# "file include" pairs allowed in spite of the table, with the reason (docs/architecture.md,
# "Known exceptions").
exceptions=(
  # The store interfaces (ports) still live in store/; they move into domain/.
  "src/domain/access.h store/auth_store.h"
  "src/domain/event_log.h store/auth_store.h"
  "src/domain/grants.h store/auth_store.h"
  "src/domain/licensing_service.h store/auth_store.h"
  "src/domain/licensing_service.h store/license_store.h"
  "src/oauth/token_service.h store/auth_store.h"
  # url_encode; the URL helpers move to core/.
  "src/protocol/sync_client.cpp http/message.h"
  # The manager's state holds its own SQL and migration runner; it moves behind a store.
  "src/manager/manager_state.h store/db.h"
  # Handlers call app.store directly and build_app opens the databases; a composition root and
  # services replace both.
  "src/api/app.h store/store.h"
  "src/api/app.h store/sync_store.h"
  "src/api/app.cpp store/migrations.h"
  "src/api/app.cpp store/event_tap.h"
  "src/api/app.cpp store/timed_database.h"
  "src/api/app.cpp directory/ldap_directory.h"
  "src/api/app.cpp store/sealed_keys.h"
)

declare -A excepted=() seen=()
for e in "${exceptions[@]}"; do excepted[$e]=1; done

bad=0
while IFS= read -r file; do
  if [[ "$file" == src/main.cpp ]]; then
    folder=main
  else
    folder=${file#src/}
    folder=${folder%%/*}
  fi
  while IFS= read -r inc; do
    target=${inc%%/*}
    [[ "$inc" == */* ]] || continue
    [[ -d "src/$target" ]] || continue  # not one of ours
    if [[ "$folder" == main ]]; then
      ok=" cli core "
    else
      [[ -n "${allowed[$folder]+x}" ]] || { echo "check-layers: $file: folder '$folder' is not in the table" >&2; bad=1; continue; }
      ok=" ${allowed[$folder]} "
    fi
    [[ "$ok" == *" $target "* ]] && continue
    if [[ -n "${excepted["$file $inc"]+x}" ]]; then
      seen["$file $inc"]=1
      continue
    fi
    echo "check-layers: $file includes \"$inc\": $folder may include only:$ok" >&2
    bad=1
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find src -name '*.h' -o -name '*.cpp' | sort)

for e in "${exceptions[@]}"; do
  if [[ -z "${seen[$e]+x}" ]]; then
    echo "check-layers: the exception '$e' no longer occurs; remove it from scripts/check-layers.sh and docs/architecture.md" >&2
    bad=1
  fi
done

if (( bad )); then exit 1; fi
echo "check-layers: every include of src/ keeps to the table (${#exceptions[@]} known exceptions)"
