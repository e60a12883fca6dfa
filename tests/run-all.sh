#!/usr/bin/env bash
# Everything CI runs (`make test`): sanity, ansible-lint, unit tests, integration tests.
# The integration tests print as they go. The three static stages run beside them at the lowest CPU priority
# (nice 19): they take the CPU the integration tests leave idle (servers starting, waits), so they add almost
# nothing to the run; their output is printed in order once they are done, after the integration tests.
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
static_start=$SECONDS
statics=()
run_stage sanity nice -n 19 bash tests/sanity.sh & statics+=($!)
run_stage lint nice -n 19 ansible-lint --offline --profile production --nocolor & statics+=($!)
run_stage units nice -n 19 python -m pytest -q -p no:cacheprovider tests/unit & statics+=($!)
start=$SECONDS
echo "=== [integration] pytest tests/integration (the static stages run beside it, nice 19)"
if python -m pytest -q -p no:cacheprovider --durations=40 tests/integration; then
  integration="passed"
else
  integration="FAILED"
  failed+=("integration")
fi
integration_time=$((SECONDS - start))
wait "${statics[@]}"
for name in sanity lint units; do
  cat "$logs/$name.log"
  if [ -e "$logs/$name.failed" ]; then failed+=("$name"); fi
done
echo "=== static stages (beside the integration tests) done $((SECONDS - static_start))s after the start"
echo "=== [integration] $integration in ${integration_time}s"
if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
