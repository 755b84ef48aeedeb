#!/usr/bin/env bash
# clang-format over the C and C++ sources (.clang-format at the root).
# --check: change nothing, fail on the first file that differs (CI);
# otherwise rewrite the files in place.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
  echo 'format-native: clang-format is not installed (apt-get install clang-format, or bash scripts/bootstrap.sh)' >&2
  exit 1
}
mapfile -t files < <(git ls-files -- '*.cc' '*.h' '*.c' 2>/dev/null || find native scripts -name '*.cc' -o -name '*.h' -o -name '*.c')
if [ "${1:-}" = --check ]; then
  clang-format --dry-run -Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
