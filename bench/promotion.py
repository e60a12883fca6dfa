"""Benchmark promotion: from `promote` to Synced/Healthy per environment, with the real Argo CD.

    python bench/promotion.py [--option separated]

On a fresh sandbox of the option, converged by its playbook, with the real Argo CD of every
instance started and the report's app-of-apps files committed: one build pushed to the sandbox's
registry (tagged as a development build, a release candidate and a release), then promoted through
every environment in order with playbooks/promote.yml (no wait). Per environment: the seconds of
the promote run (resolve, checks, commit, push), and from its start until the environment's
Application (the hub's for push, the pull cluster's own for pull) is Synced/Healthy with the image
and the Deployment runs it. Also a re-run (changed=0) and a --check --diff run. The sandbox's
settings: --app-resync 15 s, revision cache 15 s, no Git webhook (a webhook makes it seconds).
Writes bench/results/promotion.json and bench/results/promotion.md.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import core, gitops, topology, versions  # noqa: E402  pylint: disable=wrong-import-position

DEV = "1.2.3-dev.20261201.abc1234"


def application(cluster, name):
    from kubernetes import client, config

    api = client.CustomObjectsApi(config.new_client_from_config(config_file=cluster["kubeconfig"]))
    try:
        return api.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "applications", name)
    except client.exceptions.ApiException:
        return {}


def deployment_image(cluster, namespace):
    from kubernetes import client, config

    api = client.AppsV1Api(config.new_client_from_config(config_file=cluster["kubeconfig"]))
    deployment = api.read_namespaced_deployment("krci-demo", namespace)
    available = any(c.type == "Available" and c.status == "True" for c in deployment.status.conditions or [])
    return deployment.spec.template.spec.containers[0].image if available else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--option", default="separated", choices=topology.OPTIONS)
    args = parser.parse_args()
    clusters = {c["name"]: c for c in topology.clusters(args.option)}
    where = {env: name for name, c in clusters.items() for env in c.get("environments") or []}
    envs = [e for e in topology.ENVIRONMENTS if e in where]
    hub = next(n for n, c in clusters.items() if c.get("role") == "platform")
    result = {"option": args.option, "argocd_version": versions.ARGOCD, "environments": {},
              "settings": {"app_resync_seconds": gitops.APP_RESYNC_SECONDS, "webhook": False}}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["KRCI_SANDBOX_HOME"] = str(scratch / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(scratch / "inventories")
        state = core.up(args.option)
        try:
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
            env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
            _results.run_playbook(REPO / "playbooks" / ("%s.yml" % args.option), env, ["-i", state["inventory"]])
            core.start_argocd(args.option)
            core.publish_gitops(args.option, Path(state["inventory"]).parent / "reports" / "gitops")
            state = core.status(args.option)
            digest = None
            for tag in (DEV, "1.2.3-rc.1", "1.2.3"):
                digest = gitops.push_image(state["registry"], gitops.DEMO_REPOSITORY, tag, "bench build\n")
            image = "%s/%s" % (state["registry"]["host"], gitops.DEMO_REPOSITORY)
            promote = REPO / "playbooks" / "promote.yml"
            for target in envs:
                version = DEV if target in ("dev", "test") else ("1.2.3" if target == "production" else "1.2.3-rc.1")
                ref = "%s:%s@%s" % (image, version, digest)
                cluster = state["clusters"][where[target]]
                argo = state["clusters"][where[target] if clusters[where[target]].get("gitops") == "pull" else hub]
                started = time.monotonic()
                run_seconds = _results.run_playbook(promote, env, ["-i", state["inventory"], "-e", "application=krci-demo",
                                                                   "-e", "version=%s" % version, "-e", "target=%s" % target])
                while True:
                    status = application(argo, target).get("status", {})
                    if (status.get("sync", {}).get("status") == "Synced" and status.get("health", {}).get("status") == "Healthy"
                            and ref in (status.get("summary", {}).get("images") or [])
                            and deployment_image(cluster, "krci-" + target) == ref):
                        break
                    if time.monotonic() - started > 600:
                        raise SystemExit("%s not Synced/Healthy with %s within 600 s" % (target, ref))
                    time.sleep(0.5)
                result["environments"][target] = {
                    "gitops": clusters[where[target]].get("gitops"), "version": version,
                    "promote_run_seconds": run_seconds, "promote_to_synced_seconds": round(time.monotonic() - started, 1)}
            extra = ["-i", state["inventory"], "-e", "application=krci-demo", "-e", "version=1.2.3", "-e", "target=production"]
            result["rerun_noop_seconds"] = _results.run_playbook(promote, env, extra)
            result["check_diff_seconds"] = _results.run_playbook(promote, env, extra + ["--check", "--diff"])
        finally:
            core.down(args.option)
    lines = ["# Promotion with the real Argo CD %s (%s option)" % (versions.ARGOCD, args.option), "",
             "One build, promoted through every environment with playbooks/promote.yml (no wait). Push environments: "
             "the module asks the hub to refresh the Application at once. Pull environments: their own instance finds "
             "the commit at its next resync (%d s in the sandbox, 3 min by upstream's default; a Git webhook to the "
             "instance makes it immediate)." % gitops.APP_RESYNC_SECONDS,
             "", "| environment | GitOps | version | promote run (s) | promote to Synced/Healthy, running (s) |",
             "| --- | --- | --- | --- | --- |"]
    for target in envs:
        item = result["environments"][target]
        lines.append("| %s | %s | %s | %s | %s |" % (target, item["gitops"], item["version"], item["promote_run_seconds"],
                                                      item["promote_to_synced_seconds"]))
    lines += ["", "| measure | value |", "| --- | --- |",
              "| re-run of the production promotion, changed=0 (s) | %s |" % result["rerun_noop_seconds"],
              "| --check --diff of it (s) | %s |" % result["check_diff_seconds"]]
    _results.write("promotion", result, lines)


if __name__ == "__main__":
    main()
