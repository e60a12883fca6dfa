#!/usr/bin/env bash
# Everything CI runs (`make test`): sanity, ansible-lint, unit tests, integration tests.
# The three static stages run at once (each mostly one process; together they fill the machine's CPUs for a
# minute instead of two), their output printed in order once all are done; then the integration tests.
# Each stage runs even if another failed; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_stage() {  # name command...: runs it, its output and verdict to $logs/<name>
  local name=$1; shift
  local start=$SECONDS
  {
    echo "=== [$name] $*"
    if "$@"; then
      echo "=== [$name] passed in $((SECONDS - start))s"
    else
      echo "=== [$name] FAILED in $((SECONDS - start))s"
      touch "$logs/$name.failed"
    fi
  } > "$logs/$name.log" 2>&1
}
start=$SECONDS
run_stage sanity bash tests/sanity.sh &
run_stage lint ansible-lint --offline --profile production --nocolor &
run_stage units python -m pytest -q -p no:cacheprovider tests/unit &
wait
for name in sanity lint units; do
  cat "$logs/$name.log"
  if [ -e "$logs/$name.failed" ]; then failed+=("$name"); fi
done
echo "=== static stages (at once) took $((SECONDS - start))s"
# The integration tests print as they go.
start=$SECONDS
echo "=== [integration] pytest tests/integration"
if python -m pytest -q -p no:cacheprovider --durations=40 tests/integration; then
  echo "=== [integration] passed in $((SECONDS - start))s"
else
  echo "=== [integration] FAILED in $((SECONDS - start))s"
  failed+=("integration")
fi
if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
