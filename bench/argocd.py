"""Benchmark the GitOps layer: push-target registration in the isolated option, and 200 Argo CD objects.

    python bench/argocd.py [--objects 200]

1. On a fresh isolated sandbox (3 push targets: dev, test, uat; dedicated instances in staging
   and production), playbooks/isolated.yml first run and no-op re-run.
2. On its platform cluster, --objects AppProjects and Applications (half each) applied by
   krci.platform.k8s_apply in one task, and the same by kubernetes.core.k8s in a loop: first apply
   and no-op re-run of each.
Requests are the API server's own count (apiserver_request_total from /metrics) during each no-op.
Writes bench/results/argocd.json and bench/results/argocd.md.
"""

import argparse
import base64
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import core  # noqa: E402  pylint: disable=wrong-import-position

METRIC = re.compile(r'^apiserver_request_total\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+]+)$')


def request_counts(cluster):
    """verb -> requests the API server has answered so far (client certificate of the kubeconfig)."""
    config = yaml.safe_load(Path(cluster["kubeconfig"]).read_text())
    user = config["users"][0]["user"]
    server = config["clusters"][0]["cluster"]["server"]
    with tempfile.TemporaryDirectory() as scratch:
        cert, key, ca = (Path(scratch) / name for name in ("c.pem", "k.pem", "ca.pem"))
        cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
        key.write_bytes(base64.b64decode(user["client-key-data"]))
        ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
        session = requests.Session()
        session.trust_env = False
        text = session.get(server + "/metrics", cert=(str(cert), str(key)), verify=str(ca), timeout=30).text
    counts = {}
    for line in text.splitlines():
        match = METRIC.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group("labels")))
            counts[labels.get("verb")] = counts.get(labels.get("verb"), 0) + float(match.group("value"))
    return counts


def delta(before, after):
    return dict((verb, int(after[verb] - before.get(verb, 0))) for verb in after if after[verb] - before.get(verb, 0))


def objects(count):
    result = []
    for i in range(count // 2):
        name = "bench-%03d" % i
        result.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
                       "metadata": {"name": name, "namespace": "argocd"},
                       "spec": {"sourceRepos": ["https://git.example.invalid/%s.git" % name],
                                "destinations": [{"server": "https://kubernetes.default.svc", "namespace": name}]}})
        result.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                       "metadata": {"name": name, "namespace": "argocd"},
                       "spec": {"project": name,
                                "source": {"repoURL": "https://git.example.invalid/%s.git" % name,
                                           "targetRevision": "main", "path": "deploy"},
                                "destination": {"server": "https://kubernetes.default.svc", "namespace": name}}})
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=200)
    args = parser.parse_args()
    result = {"objects": args.objects}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["KRCI_SANDBOX_HOME"] = str(scratch / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(scratch / "inventories")
        state = core.up("isolated")
        try:
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
                       ANSIBLE_LOCALHOST_WARNING="false")
            env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
            play = REPO / "playbooks" / "isolated.yml"
            inventory_play = ["-i", state["inventory"]]
            platform = state["clusters"]["platform"]
            result["push_targets"] = sorted(n for n, c in state["clusters"].items() if c["gitops"] == "push")
            # The controllers and kwok talk to the API server too: their idle rate, to read the deltas by.
            before = request_counts(platform)
            time.sleep(10)
            result["idle_requests_per_10s"] = delta(before, request_counts(platform))
            result["playbook_first_seconds"] = _results.run_playbook(play, env, inventory_play)
            before = request_counts(platform)
            result["playbook_noop_seconds"] = _results.run_playbook(play, env, inventory_play)
            result["playbook_noop_platform_requests"] = delta(before, request_counts(platform))

            kube = {"kubeconfig": platform["kubeconfig"], "context": platform["context"]}
            definitions = objects(args.objects)
            ours = scratch / "ours.yml"
            ours.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "vars": {"objs": definitions},
                                             "tasks": [{"krci.platform.k8s_apply": dict(kube, definitions="{{ objs }}")}]}]))
            loop = scratch / "loop.yml"
            renamed = [dict(o, metadata={"name": o["metadata"]["name"].replace("bench", "loop"), "namespace": "argocd"})
                       for o in definitions]
            loop.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "vars": {"objs": renamed},
                                             "tasks": [{"kubernetes.core.k8s": dict(kube, state="present",
                                                                                    definition="{{ item }}"),
                                                        "loop": "{{ objs }}"}]}]))
            result["ours_first_seconds"] = _results.run_playbook(ours, env)
            before = request_counts(platform)
            result["ours_noop_seconds"] = _results.run_playbook(ours, env)
            result["ours_noop_requests"] = delta(before, request_counts(platform))
            result["loop_first_seconds"] = _results.run_playbook(loop, env)
            before = request_counts(platform)
            result["loop_noop_seconds"] = _results.run_playbook(loop, env)
            result["loop_noop_requests"] = delta(before, request_counts(platform))
        finally:
            core.down("isolated")
    result["speedup_first"] = round(result["loop_first_seconds"] / result["ours_first_seconds"], 1)
    result["speedup_noop"] = round(result["loop_noop_seconds"] / result["ours_noop_seconds"], 1)
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = ["# Argo CD / GitOps benchmark", "",
             "isolated option, push targets %s, dedicated instances in staging and production" % ", ".join(
                 result["push_targets"]), "",
             "| | first run (s) | no-op re-run (s) |", "| --- | --- | --- |",
             "| playbooks/isolated.yml (whole platform) | %s | %s |" % (result["playbook_first_seconds"],
                                                                      result["playbook_noop_seconds"]),
             "| %d AppProjects/Applications, krci.platform.k8s_apply (one task) | %s | %s |" % (
                 args.objects, result["ours_first_seconds"], result["ours_noop_seconds"]),
             "| the same, kubernetes.core.k8s loop | %s | %s |" % (result["loop_first_seconds"],
                                                                 result["loop_noop_seconds"]),
             "| speed-up (objects) | %sx | %sx |" % (result["speedup_first"], result["speedup_noop"]), "",
             "Requests on the platform API server during the no-ops: playbook %s; k8s_apply %s; loop %s" % (
                 result["playbook_noop_platform_requests"], result["ours_noop_requests"], result["loop_noop_requests"]),
             "(the controllers' own background traffic, idle, per 10 s: %s)" % result["idle_requests_per_10s"], ""]
    _results.write("argocd", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
