#!/usr/bin/env bash
# Everything CI runs (`make test`): sanity, ansible-lint, unit tests, integration tests.
# Each stage runs even if an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "=== [$name] $*"
  if "$@"; then
    echo "=== [$name] passed in $((SECONDS - start))s"
  else
    echo "=== [$name] FAILED in $((SECONDS - start))s"
    failed+=("$name")
  fi
}
stage sanity bash tests/sanity.sh
stage lint ansible-lint --offline --profile production
stage units python -m pytest -q -p no:cacheprovider tests/unit
stage integration python -m pytest -q -p no:cacheprovider --durations=15 tests/integration
if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
