"""Benchmark the sandbox: build cost per component, warm `up` time and memory per option.

    python bench/sandbox.py [--options shared,separated,isolated] [--cold]

Writes bench/results/sandbox.json and bench/results/sandbox.md. Without --cold, build seconds are
those recorded when each component was last built into the cache (its .complete stamp); with
--cold, every component is rebuilt into an empty temporary cache first (Go's module and build
caches stay warm unless you clear them yourself). Targets (issue 2): cold build <= 30 min, warm
`up` of separated <= 2 min, isolated <= 6 GiB resident in all.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import build, core, versions  # noqa: E402  pylint: disable=wrong-import-position

TARGETS = {"cold_build_seconds": 30 * 60, "warm_up_seconds_separated": 120, "rss_bytes_isolated": 6 * 1024 ** 3}
COMPONENTS = {"kubernetes": versions.KUBERNETES, "etcd": versions.ETCD, "kwok": versions.KWOK,
              "helm": versions.HELM, "keycloak": versions.KEYCLOAK}


def rss_tree(pid):
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc] + proc.children(recursive=True))
    except psutil.NoSuchProcess:
        return 0


def measure_option(option, settle):
    state = core.up(option)
    try:
        time.sleep(settle)  # let Keycloak and the API servers finish their start-up allocations
        per_group = {}
        for record in state["processes"]:
            group = record["name"].split("/")[0]
            per_group[group] = per_group.get(group, 0) + rss_tree(record["pid"])
        return {"up_seconds": state["up_seconds"], "rss_bytes": per_group, "rss_bytes_total": sum(per_group.values()),
                "processes": len(state["processes"])}
    finally:
        core.down(option)


def mib(value):
    return "%.0f MiB" % (value / 1024 ** 2)


def table(result):
    lines = ["# Sandbox benchmark", "", "Machine: %s, %d cores, %s RAM; %s" % (
        result["machine"]["platform"], result["machine"]["cores"], mib(result["machine"]["memory_bytes"]),
        result["measured_at"]), "", "| component | version | cold build (s) |", "| --- | --- | --- |"]
    for name, info in result["build"].items():
        lines.append("| %s | %s | %s |" % (name, info["version"], info["build_seconds"]))
    lines.append("| **total** | | **%s** (target <= %d) |" % (result["cold_build_seconds_total"],
                                                               TARGETS["cold_build_seconds"]))
    lines += ["", "| option | warm up (s) | processes | resident memory |", "| --- | --- | --- | --- |"]
    for option, info in result["options"].items():
        lines.append("| %s | %s | %d | %s |" % (option, info["up_seconds"], info["processes"],
                                               mib(info["rss_bytes_total"])))
    lines += ["", "| option | component | resident memory |", "| --- | --- | --- |"]
    for option, info in result["options"].items():
        for group, value in sorted(info["rss_bytes"].items()):
            lines.append("| %s | %s | %s |" % (option, group, mib(value)))
    lines += ["", "Targets: %s" % json.dumps(result["targets_met"])]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--options", default="shared,separated,isolated")
    parser.add_argument("--cold", action="store_true", help="rebuild every component into an empty cache first")
    parser.add_argument("--settle", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["KRCI_SANDBOX_HOME"] = str(Path(scratch) / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(Path(scratch) / "inventories")
        if args.cold:
            os.environ["KRCI_CACHE_DIR"] = str(Path(scratch) / "cache")
            build.build_all()
        built = {}
        for name, version in COMPONENTS.items():
            if build.build_info(name, version) is None:
                build.ALL[name]()
            info = build.build_info(name, version)
            built[name] = {"version": version, "build_seconds": info["build_seconds"]}
        options = {option: measure_option(option, args.settle) for option in args.options.split(",")}

    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "cores": os.cpu_count(),
                    "memory_bytes": psutil.virtual_memory().total},
        "cold": args.cold,
        "build": built,
        "cold_build_seconds_total": round(sum(b["build_seconds"] for b in built.values()), 1),
        "options": options,
        "targets": TARGETS,
    }
    met = {"cold_build": result["cold_build_seconds_total"] <= TARGETS["cold_build_seconds"]}
    if "separated" in options:
        met["warm_up_separated"] = options["separated"]["up_seconds"] <= TARGETS["warm_up_seconds_separated"]
    if "isolated" in options:
        met["memory_isolated"] = options["isolated"]["rss_bytes_total"] <= TARGETS["rss_bytes_isolated"]
    result["targets_met"] = met
    _results.write("sandbox", result, [table(result)])
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
