#!/usr/bin/env bash
# Checks the C++ lines a change touches against .clang-format, and only those: the tree is not
# reformatted wholesale, so untouched lines keep their layout.
#
#   bash scripts/check-format.sh [--fix] [BASE]
#
# BASE: the revision the change is measured from (default: origin/main, else main). Every added or
# changed line of a .h/.cpp file between BASE and the working tree (committed or not) is checked.
# Exit 0 when they are all formatted; 1 with clang-format's diagnostics otherwise; 2 on a usage
# error (no clang-format, unknown BASE).
#
# CI: run it on the pull request's head with the target branch as BASE, e.g.
#   bash scripts/check-format.sh "origin/$TARGET_BRANCH"
# --fix formats those lines in place instead (and exits 0).
set -euo pipefail
cd "$(dirname "$0")/.."

cf=${CLANG_FORMAT:-}
if [[ -z "$cf" ]]; then
  for c in clang-format clang-format-14 clang-format-15; do
    if command -v "$c" >/dev/null; then cf=$c; break; fi
  done
fi
[[ -n "$cf" ]] || { echo "check-format: no clang-format found (apt-get install clang-format)" >&2; exit 2; }

fix=0
if [[ "${1:-}" == "--fix" ]]; then fix=1; shift; fi
base=${1:-}
if [[ -z "$base" ]]; then
  if git rev-parse -q --verify origin/main >/dev/null; then base=origin/main; else base=main; fi
fi
git rev-parse -q --verify "$base^{commit}" >/dev/null || { echo "check-format: unknown revision '$base'" >&2; exit 2; }

# file -> "--lines=a:b ..." from the zero-context diff (renames followed, so a moved file is
# checked only where it changed); files git does not track yet are checked whole.
declare -A lines=()
file=""
while IFS= read -r l; do
  case "$l" in
    "+++ b/"*) file=${l#+++ b/} ;;
    "+++ "*) file="" ;;
    "@@ "*)
      [[ -n "$file" ]] || continue
      spec=${l#*+}
      spec=${spec%% *}
      start=${spec%,*}
      count=1
      [[ "$spec" == *,* ]] && count=${spec#*,}
      (( count > 0 )) || continue
      lines[$file]+=" --lines=$start:$((start + count - 1))"
      ;;
  esac
done < <(git diff -M -U0 --diff-filter=AMR "$base" -- '*.h' '*.cpp')
while IFS= read -r f; do
  [[ -n "$f" ]] && lines[$f]=" --lines=1:$(wc -l < "$f")"
done < <(git ls-files --others --exclude-standard -- '*.h' '*.cpp')

bad=0
checked=0
for f in "${!lines[@]}"; do
  [[ -f "$f" ]] || continue
  checked=$((checked + 1))
  # shellcheck disable=SC2086  # the ranges are separate words
  if (( fix )); then
    "$cf" --style=file -i ${lines[$f]} "$f"
  elif ! "$cf" --style=file --dry-run -Werror ${lines[$f]} "$f"; then
    bad=$((bad + 1))
  fi
done

if (( bad )); then
  echo "check-format: $bad of $checked changed file(s) have changed lines not formatted as .clang-format says" >&2
  exit 1
fi
echo "check-format: the changed lines of $checked file(s) are formatted"
