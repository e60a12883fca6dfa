"""Benchmark GitOps with the real Argo CD: commit to Synced/Healthy, push and pull, and what it costs.

    python bench/gitops.py [--option separated] [--commits 3]

On a fresh sandbox of the option, converged by its playbook: the real Argo CD of every instance
started (sandbox.core.start_argocd) and the report's app-of-apps files committed; then --commits
times, one commit that changes dev's and production's ConfigMap, timed until each Application is
Synced and Healthy at that commit and the ConfigMap holds the change (dev through the hub's push,
production through its own instance's pull). Also: seconds from start to every Application Synced,
resident memory per instance (sum over its processes, after the syncs), and the cold build of the
Argo CD binary (its cache stamp). The sandbox's settings: --app-resync 15 s, revision cache 15 s, no
Git webhook. Writes bench/results/gitops.json and bench/results/gitops.md.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import build, core, gitops, topology, versions  # noqa: E402  pylint: disable=wrong-import-position


def rss_mb(pid):
    """Resident memory of a process in MB (redis's wrapper execs it, so its pid is redis itself)."""
    try:
        pages = int(Path("/proc/%d/statm" % pid).read_text().split()[1])
    except OSError:
        return 0.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1e6, 1)


def applications(cluster):
    from kubernetes import client, config

    api = client.CustomObjectsApi(config.new_client_from_config(config_file=cluster["kubeconfig"]))
    return {a["metadata"]["name"]: a.get("status", {})
            for a in api.list_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "applications")["items"]}


def config_map(cluster, namespace):
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=cluster["kubeconfig"]))
    try:
        return api.read_namespaced_config_map("krci-demo", namespace).data or {}
    except client.exceptions.ApiException:
        return {}


def synced(status, revision=None):
    sync = status.get("sync", {})
    return (sync.get("status") == "Synced" and status.get("health", {}).get("status") == "Healthy"
            and (revision is None or sync.get("revision") == revision))


def wait(probe, timeout=600):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if probe():
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    raise SystemExit("not within %ss" % timeout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--option", default="separated", choices=topology.OPTIONS)
    parser.add_argument("--commits", type=int, default=3)
    args = parser.parse_args()
    result = {"option": args.option, "argocd_version": versions.ARGOCD,
              "settings": {"app_resync_seconds": gitops.APP_RESYNC_SECONDS,
                           "revision_cache_seconds": gitops.APP_RESYNC_SECONDS, "webhook": False}}
    built = build.build_info("argocd", versions.ARGOCD)
    result["argocd_cold_build_seconds"] = built["build_seconds"] if built else None
    clusters = {c["name"]: c for c in topology.clusters(args.option)}
    where = {env: name for name, c in clusters.items() for env in c.get("environments") or []}
    instance_cluster = {("hub" if c.get("role") == "platform" else name): name for name, c in clusters.items()
                        if c.get("role") == "platform" or c.get("gitops") == "pull"}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["KRCI_SANDBOX_HOME"] = str(scratch / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(scratch / "inventories")
        state = core.up(args.option)
        try:
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
            env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
            _results.run_playbook(REPO / "playbooks" / ("%s.yml" % args.option), env, ["-i", state["inventory"]])
            started = time.monotonic()
            core.start_argocd(args.option)
            result["argocd_start_seconds"] = round(time.monotonic() - started, 1)
            layout = Path(state["inventory"]).parent / "reports" / "gitops"
            core.publish_gitops(args.option, layout)
            expected = {i: sorted(p.stem for p in (layout / "argocd" / i).glob("*.yaml")) for i in instance_cluster}
            state = core.status(args.option)
            result["first_sync_seconds"] = wait(lambda: all(
                all(synced(applications(state["clusters"][instance_cluster[i]]).get(n, {})) for n in names + ["krci-root"])
                for i, names in expected.items())) + result["argocd_start_seconds"]
            timings = {"dev": [], "production": []}
            for index in range(args.commits):
                checkout = gitops.Checkout(state["git"], scratch / "work").clone()
                stamp = "bench-%d-%s" % (index, time.time())
                for name in timings:
                    path = "environments/%s/configmap.yaml" % name
                    obj = yaml.safe_load((checkout.dir / path).read_text())
                    obj["data"]["commit"] = stamp
                    checkout.write(path, obj)
                sha = checkout.push("bench commit %d" % index)
                pushed = time.monotonic()
                pending = set(timings)
                while pending:
                    for name in list(pending):
                        cluster = state["clusters"][where[name]]
                        instance = where[name] if clusters[where[name]].get("gitops") == "pull" else "hub"
                        status = applications(state["clusters"][instance_cluster[instance]]).get(name, {})
                        if synced(status, sha) and config_map(cluster, "krci-" + name).get("commit") == stamp:
                            timings[name].append(round(time.monotonic() - pushed, 1))
                            pending.discard(name)
                    if time.monotonic() - pushed > 600:
                        raise SystemExit("commit %s not synced within 600 s: %s" % (sha, pending))
                    time.sleep(0.5)
            result["commit_to_synced_seconds"] = {
                "dev_push": timings["dev"], "production_pull": timings["production"],
                "dev_push_median": statistics.median(timings["dev"]),
                "production_pull_median": statistics.median(timings["production"])}
            state = core.status(args.option)
            memory = {}
            for record in state["processes"]:
                if record["name"].startswith("argocd-"):
                    instance = record["name"].split("/")[0][len("argocd-"):]
                    memory[instance] = round(memory.get(instance, 0) + rss_mb(record["pid"]), 1)
            result["memory_mb_per_instance"] = memory
            result["memory_mb_total"] = round(sum(memory.values()), 1)
        finally:
            core.down(args.option)
    commits = result["commit_to_synced_seconds"]
    _results.write("gitops", result, [
        "# GitOps with the real Argo CD %s (%s option)" % (versions.ARGOCD, args.option), "",
        "Sandbox settings: app resync %d s, revision cache %d s, no Git webhook." % (
            gitops.APP_RESYNC_SECONDS, gitops.APP_RESYNC_SECONDS), "",
        "| measure | value |", "| --- | --- |",
        "| cold build of the Argo CD binary (s) | %s |" % result["argocd_cold_build_seconds"],
        "| start of every instance's programs (s) | %s |" % result["argocd_start_seconds"],
        "| start to every Application Synced/Healthy (s) | %s |" % result["first_sync_seconds"],
        "| commit to Synced/Healthy, dev by push (s, median of %d) | %s (%s) |" % (
            len(commits["dev_push"]), commits["dev_push_median"], ", ".join(map(str, commits["dev_push"]))),
        "| commit to Synced/Healthy, production by pull (s, median of %d) | %s (%s) |" % (
            len(commits["production_pull"]), commits["production_pull_median"],
            ", ".join(map(str, commits["production_pull"]))),
        "| resident memory per instance (MB) | %s |" % ", ".join(
            "%s %s" % kv for kv in sorted(result["memory_mb_per_instance"].items())),
        "| resident memory, all instances (MB) | %s |" % result["memory_mb_total"],
    ])


if __name__ == "__main__":
    main()
