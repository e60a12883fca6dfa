"""Benchmark converging each option on the sandbox: first run, no-op re-run, check mode.

    python bench/converge.py [--options shared,separated,isolated]

Also compares, on the platform cluster, one bulk krci.platform.k8s_apply call against
kubernetes.core.k8s looped per object for the same baseline objects. Writes
bench/results/converge.json and bench/results/converge.md. Goal (issue 3): the no-op re-run
takes at most 20% of the first converge.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import core  # noqa: E402  pylint: disable=wrong-import-position


def timed_playbook(inventory, playbook, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    start = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", inventory, str(playbook)] + list(extra), env=env, cwd=str(REPO),
                            capture_output=True, text=True, check=False)
    seconds = round(time.monotonic() - start, 2)
    if result.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (playbook, result.stdout[-3000:]))
    return seconds


def bench_option(option):
    state = core.up(option)
    try:
        playbook = REPO / "playbooks" / ("%s.yml" % option)
        first = timed_playbook(state["inventory"], playbook)
        noop = timed_playbook(state["inventory"], playbook)
        check = timed_playbook(state["inventory"], playbook, "--check", "--diff")
        result = {"clusters": len(state["clusters"]), "first_seconds": first, "noop_seconds": noop,
                  "check_seconds": check, "noop_ratio": round(noop / first, 3)}
        compare = REPO / "bench" / "playbooks" / "apply_compare.yml"
        for method in ("bulk", "loop"):
            result["%s_first_seconds" % method] = timed_playbook(state["inventory"], compare, "-e", "bench_method=" + method)
            result["%s_noop_seconds" % method] = timed_playbook(state["inventory"], compare, "-e", "bench_method=" + method)
        return result
    finally:
        core.down(option)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--options", default="shared,separated,isolated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["KRCI_SANDBOX_HOME"] = str(Path(scratch) / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(Path(scratch) / "inventories")
        options = {option: bench_option(option) for option in args.options.split(",")}
    result = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count(),
              "options": options, "goal": "noop_ratio <= 0.2",
              "goal_met": all(o["noop_ratio"] <= 0.2 for o in options.values())}
    lines = ["# Converge benchmark", "", "| option | clusters | first (s) | no-op (s) | no-op / first | check --diff (s) |"
             " bulk apply first / no-op (s) | k8s loop first / no-op (s) |", "| --- " * 8 + "|"]
    for option, o in options.items():
        lines.append("| %s | %d | %s | %s | %s | %s | %s / %s | %s / %s |" % (
            option, o["clusters"], o["first_seconds"], o["noop_seconds"], o["noop_ratio"], o["check_seconds"],
            o["bulk_first_seconds"], o["bulk_noop_seconds"], o["loop_first_seconds"], o["loop_noop_seconds"]))
    lines += ["", "Goal: %s -> %s" % (result["goal"], result["goal_met"]), ""]
    _results.write("converge", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
