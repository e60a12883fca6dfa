"""Benchmark converging each option's whole playbook on the sandbox: first run, no-op re-run, check mode.

    python bench/converge.py [--options shared,separated,isolated]

For the no-op it also counts, from the real servers and the run itself:
- module invocations (every task result of a module, loop items one by one; set_fact, assert,
  debug and includes run no module and are not counted),
- API requests per cluster and how many of them write (kube-apiserver's apiserver_request_total,
  read from /metrics before and after; a write is POST, PUT, PATCH, APPLY or DELETE that is not a
  dry run; kwok's node lease and node status heartbeats, which no playbook sends, are left out, and so are
  the review objects (SubjectAccessReview, SelfSubjectReview, ...), which are created, answered and never
  stored: they count as requests, not as writes),
- whether any object the run manages changed its resourceVersion (every object of every
  namespace the run created, and the cluster-scoped kinds it manages).

Writes bench/results/converge.json and bench/results/converge.md. Goals (issue 13): the no-op takes
at most 20% of the first converge and writes nothing; separated <= 25 s, isolated <= 35 s.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import core  # noqa: E402  pylint: disable=wrong-import-position

# Actions that run no module on the target.
LOCAL_ACTIONS = {"ansible.builtin.set_fact", "ansible.builtin.assert", "ansible.builtin.debug",
                 "ansible.builtin.include_tasks", "ansible.builtin.include_role", "ansible.builtin.import_tasks",
                 "ansible.builtin.fail", "ansible.builtin.meta", "ansible.builtin.validate_argument_spec",
                 "set_fact", "assert", "debug", "include_tasks", "include_role", "fail", "meta",
                 "validate_argument_spec"}
WRITE_VERBS = {"POST", "PUT", "PATCH", "APPLY", "DELETE"}
METRIC = re.compile(r'^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$')
GOALS = {"noop_ratio": 0.2, "separated_noop_seconds": 25, "isolated_noop_seconds": 35}


def env_for(callback=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    return env


def timed_playbook(inventory, playbook, *extra, callback=None):
    start = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", inventory, str(playbook)] + list(extra), env=env_for(callback),
                            cwd=str(REPO), capture_output=True, text=True, check=False)
    seconds = round(time.monotonic() - start, 2)
    if result.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (playbook, result.stdout[-3000:]))
    return seconds, result.stdout


def module_invocations(json_stdout):
    """(invocations per host, changed results) of an ansible.posix.json run."""
    data = json.loads(json_stdout[json_stdout.index("{"):])
    per_host, changed = {}, 0
    for play in data["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                items = result.get("results") if isinstance(result.get("results"), list) else [result]
                for item in items:
                    if item.get("skipped") or (item.get("action") or result.get("action")) in LOCAL_ACTIONS:
                        continue
                    per_host[host] = per_host.get(host, 0) + 1
                    changed += 1 if item.get("changed") else 0
    return per_host, changed


def api(cluster):
    from kubernetes import config  # pylint: disable=import-outside-toplevel

    return config.new_client_from_config(config_file=cluster["kubeconfig"])


def request_counts(cluster):
    """(verb, dry_run, resource, subresource) -> count, from the API server's own metrics."""
    reply = api(cluster).call_api("/metrics", "GET", auth_settings=["BearerToken"], _preload_content=False,
                                  _return_http_data_only=True)
    counts = {}
    for line in reply.data.decode().splitlines():
        match = METRIC.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        key = (labels.get("verb"), labels.get("dry_run", ""), labels.get("resource", ""), labels.get("subresource", ""))
        counts[key] = counts.get(key, 0) + int(float(match.group(2)))
    return counts


# Created, answered and never stored: asking is not writing.
REVIEWS = frozenset(["subjectaccessreviews", "selfsubjectreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews",
                     "localsubjectaccessreviews", "tokenreviews"])


def requests_between(before, after):
    """(requests, writes) the run sent: the metrics' difference without kwok's heartbeats and our /metrics reads."""
    requests = writes = 0
    for key, count in after.items():
        verb, dry_run, resource, subresource = key
        delta = count - before.get(key, 0)
        if delta <= 0 or resource in ("", "leases") or (resource == "nodes" and subresource == "status"):
            continue
        requests += delta
        if verb in WRITE_VERBS and not dry_run and resource not in REVIEWS:
            writes += delta
    return requests, writes


def resource_versions(cluster):
    """name -> resourceVersion of every object in the krci-* and tool namespaces and the cluster-scoped kinds we manage."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    dynamic_api = api(cluster)
    core_api = client.CoreV1Api(dynamic_api)
    versions = {}
    for namespace in core_api.list_namespace().items:
        versions[("Namespace", namespace.metadata.name)] = namespace.metadata.resource_version
    listings = [core_api.list_config_map_for_all_namespaces, core_api.list_secret_for_all_namespaces,
                core_api.list_service_account_for_all_namespaces,
                client.RbacAuthorizationV1Api(dynamic_api).list_role_binding_for_all_namespaces,
                client.RbacAuthorizationV1Api(dynamic_api).list_cluster_role_binding,
                client.RbacAuthorizationV1Api(dynamic_api).list_cluster_role,
                client.AppsV1Api(dynamic_api).list_deployment_for_all_namespaces,
                client.ApiextensionsV1Api(dynamic_api).list_custom_resource_definition]
    for listing in listings:
        for obj in listing().items:
            if obj.metadata.namespace == "kube-system" or (obj.metadata.name or "").startswith("system:"):
                continue  # the control plane's own, rewritten by its controllers
            versions[(type(obj).__name__, obj.metadata.namespace, obj.metadata.name)] = obj.metadata.resource_version
    return versions


# Variants: the option with the sandbox's openshift flavour on some clusters (sandbox/openshift.py).
VARIANTS = {"separated-openshift": ("separated", ["platform", "production", "workloads"])}


def bench_option(name):
    option, openshift = VARIANTS.get(name, (name, []))
    state = core.up(option, openshift=openshift)
    try:
        playbook = REPO / "playbooks" / ("%s.yml" % option)
        first, _ = timed_playbook(state["inventory"], playbook)
        before = {name: request_counts(c) for name, c in state["clusters"].items()}
        versions = {name: resource_versions(c) for name, c in state["clusters"].items()}
        noop, stdout = timed_playbook(state["inventory"], playbook, callback="ansible.posix.json")
        after = {name: request_counts(c) for name, c in state["clusters"].items()}
        changed_versions = sum(1 for name, c in state["clusters"].items()
                               for key, value in resource_versions(c).items() if versions[name].get(key) != value)
        invocations, changed_results = module_invocations(stdout)
        per_cluster = {name: dict(zip(("requests", "writes"), requests_between(before[name], after[name])))
                       for name in state["clusters"]}
        check, _ = timed_playbook(state["inventory"], playbook, "--check", "--diff")
        noop_again, _ = timed_playbook(state["inventory"], playbook)
        return {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "openshift_clusters": openshift,
                "clusters": len(state["clusters"]), "first_seconds": first, "noop_seconds": noop,
                "noop_seconds_plain_output": noop_again, "check_seconds": check,
                "noop_ratio": round(noop_again / first, 3),
                "noop": {"module_invocations": sum(invocations.values()), "module_invocations_per_host": invocations,
                         "changed_results": changed_results,
                         "api_requests": sum(c["requests"] for c in per_cluster.values()),
                         "api_writes": sum(c["writes"] for c in per_cluster.values()),
                         "api_per_cluster": per_cluster,
                         "resource_versions_changed": changed_versions}}
    finally:
        core.down(option)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--options", default="shared,separated,isolated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["KRCI_SANDBOX_HOME"] = str(Path(scratch) / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(Path(scratch) / "inventories")
        measured = {option: bench_option(option) for option in args.options.split(",")}
    # Options not measured this time keep their last figures (each says when it was measured).
    previous = REPO / "bench" / "results" / "converge.json"
    options = json.loads(previous.read_text()).get("options", {}) if previous.exists() else {}
    options.update(measured)
    met = {"noop_ratio": all(o["noop_ratio"] <= GOALS["noop_ratio"] for o in options.values()),
           "noop_writes_nothing": all(o["noop"]["api_writes"] == 0 and o["noop"]["resource_versions_changed"] == 0
                                      for o in options.values())}
    for option in ("separated", "isolated"):
        if option in options:
            met["%s_noop_seconds" % option] = options[option]["noop_seconds_plain_output"] <= GOALS[
                "%s_noop_seconds" % option]
    result = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count(),
              "scope": "the whole option playbook (identity, baseline, operators, secrets, GitOps, report)",
              "options": options, "goals": GOALS, "goals_met": met}
    lines = ["# Converge benchmark (whole option playbooks)", "",
             "| option | clusters | first (s) | no-op (s) | no-op / first | check --diff (s) | no-op module invocations |"
             " no-op API requests | no-op API writes | resourceVersions changed |", "| --- " * 10 + "|"]
    for option, o in options.items():
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            option, o["clusters"], o["first_seconds"], o["noop_seconds_plain_output"], o["noop_ratio"],
            o["check_seconds"], o["noop"]["module_invocations"], o["noop"]["api_requests"], o["noop"]["api_writes"],
            o["noop"]["resource_versions_changed"]))
    lines += ["", "Measured %s on %d cores. Goals: %s -> %s" % (result["measured_at"], result["cores"],
                                                                  json.dumps(GOALS), json.dumps(met)), ""]
    _results.write("converge", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
