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
# The integration tests run as two streams at once, each a pytest session with its own sandboxes (one at a time) and
# its own port range: shared and isolated (and the tests without a sandbox), and separated. Each stream alone leaves
# a CPU idle about half the time (servers starting, Argo CD syncing, Keycloak restarting); together they fill it.
echo "=== [integration] pytest tests/integration, two streams at once (the static stages run beside them, nice 19)"
KRCI_SANDBOX_PORTS=26000-32000 python -m pytest -q -p no:cacheprovider --durations=40 \
  --sandbox-options separated,end tests/integration > "$logs/separated.log" 2>&1 &
separated=$!
echo "=== [integration: none, shared, isolated] (the separated stream's output follows it)"
if ! KRCI_SANDBOX_PORTS=20000-25999 python -m pytest -q -p no:cacheprovider --durations=40 \
    --sandbox-options none,shared,isolated,end tests/integration; then
  failed+=("integration(none,shared,isolated)")
fi
first_stream=$((SECONDS - start))
echo "=== [integration: none, shared, isolated] done in ${first_stream}s"
separated_status=0
wait $separated || separated_status=$?
echo "=== [integration: separated]"
cat "$logs/separated.log"
echo "=== [integration: separated] done in $((SECONDS - start))s"
if [ "$separated_status" -ne 0 ]; then
  failed+=("integration(separated)")
fi
if ((${#failed[@]})); then integration="FAILED"; else integration="passed"; fi
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
