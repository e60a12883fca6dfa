"""Benchmark krci.platform.vault_config against community.hashi_vault.vault_write in a loop.

    python bench/vault.py [--clusters 6] [--environments 5]

Both configure the same state on the sandbox's real OpenBao: per cluster a Kubernetes auth mount,
per cluster and environment a KV v2 mount, a read policy and an auth role (for 6 x 5: 6 + 30 + 30
+ 30 = 96 objects). The loop is written as a careful user would: it reads the mount tables first
and enables only missing mounts (enabling an existing path fails), and writes policies and roles
every time (vault_write cannot compare). Measures the first apply and the no-op re-run of each,
and the requests of our no-op. Writes bench/results/vault.json and bench/results/vault.md.
"""

import argparse
import json
import os
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


def state_for(prefix, clusters, environments):
    """(secrets_engines, auth_methods, policies, roles per mount) for one set of names."""
    engines, auths, policies, roles = {}, {}, {}, {}
    for cluster in clusters:
        mount = "%s-kubernetes-%s" % (prefix, cluster)
        auths[mount] = {"type": "kubernetes", "description": "cluster %s" % cluster}
        roles[mount] = {}
        for env in environments:
            kv = "%s-kv-%s-%s" % (prefix, cluster, env)
            engines[kv] = {"type": "kv", "options": {"version": "2"}, "description": "%s on %s" % (env, cluster)}
            policy = "%s-read-%s-%s" % (prefix, cluster, env)
            policies[policy] = 'path "%s/data/*" { capabilities = ["read"] }\n' % kv
            roles[mount]["eso-%s" % env] = {"bound_service_account_names": ["external-secrets"],
                                            "bound_service_account_namespaces": ["external-secrets"],
                                            "token_policies": [policy], "token_ttl": 3600}
    return engines, auths, policies, roles


def init_and_unseal(addr, ca_file):
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    reply = session.put(addr + "/v1/sys/init", json={"secret_shares": 1, "secret_threshold": 1}, timeout=30).json()
    session.put(addr + "/v1/sys/unseal", json={"key": reply["keys"][0]}, timeout=30).raise_for_status()
    for _ in range(100):
        if session.get(addr + "/v1/sys/leader", timeout=5).json().get("is_self"):
            break
        time.sleep(0.2)
    return reply["root_token"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=6)
    parser.add_argument("--environments", type=int, default=5)
    args = parser.parse_args()
    clusters = ["cluster%d" % i for i in range(args.clusters)]
    environments = ["dev", "test", "uat", "staging", "production", "qa", "perf", "sandbox"][:args.environments]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["KRCI_SANDBOX_HOME"] = str(scratch / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(scratch / "inventories")
        state = core.up("shared", with_keycloak=False)
        try:
            addr, ca_file = state["openbao"]["addr"], state["openbao"]["ca_file"]
            root = init_and_unseal(addr, ca_file)
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
                       ANSIBLE_LOCALHOST_WARNING="false", VAULT_TOKEN=root)
            env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]

            engines, auths, policies, roles = state_for("ours", clusters, environments)
            out = scratch / "ours.json"
            ours_play = scratch / "ours.yml"
            ours_play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                {"krci.platform.vault_config": {
                    "url": addr, "ca_cert": ca_file, "secrets_engines": engines, "auth_methods": auths,
                    "policies": policies, "auth_configs": [{"mount": m, "roles": r} for m, r in roles.items()]},
                 "register": "r"},
                {"ansible.builtin.copy": {"content": "{{ {'summary': r.summary, 'requests': r.requests} | to_json }}",
                                          "dest": str(out), "mode": "0600"}}]}]))

            engines, auths, policies, roles = state_for("cg", clusters, environments)
            conn = {"url": addr, "ca_cert": ca_file, "auth_method": "token", "token": root}
            role_items = [{"path": "auth/%s/role/%s" % (m, name), "data": spec}
                          for m, rs in roles.items() for name, spec in rs.items()]
            cg_play = scratch / "community.yml"
            cg_play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                {"community.hashi_vault.vault_read": dict(conn, path="sys/mounts"), "register": "mounts_live"},
                {"community.hashi_vault.vault_read": dict(conn, path="sys/auth"), "register": "auths_live"},
                {"community.hashi_vault.vault_write": dict(conn, path="sys/mounts/{{ item.key }}", data="{{ item.value }}"),
                 "loop": "{{ engines | dict2items }}", "when": "(item.key ~ '/') not in mounts_live.data.data"},
                {"community.hashi_vault.vault_write": dict(conn, path="sys/auth/{{ item.key }}", data="{{ item.value }}"),
                 "loop": "{{ auths | dict2items }}", "when": "(item.key ~ '/') not in auths_live.data.data"},
                {"community.hashi_vault.vault_write": dict(conn, path="sys/policies/acl/{{ item.key }}",
                                                           data={"policy": "{{ item.value }}"}),
                 "loop": "{{ policies | dict2items }}"},
                {"community.hashi_vault.vault_write": dict(conn, path="{{ item.path }}", data="{{ item.data }}"),
                 "loop": "{{ role_items }}"},
            ], "vars": {"engines": engines, "auths": auths, "policies": policies, "role_items": role_items}}]))

            objects = len(engines) + len(auths) + len(policies) + len(role_items)
            result = {"objects": objects, "clusters": len(clusters), "environments": len(environments)}
            result["ours_first_seconds"] = _results.run_playbook(ours_play, env)
            result["ours_first"] = json.loads(out.read_text())
            result["ours_noop_seconds"] = _results.run_playbook(ours_play, env)
            result["ours_noop"] = json.loads(out.read_text())
            result["community_first_seconds"] = _results.run_playbook(cg_play, env)
            result["community_noop_seconds"] = _results.run_playbook(cg_play, env)
        finally:
            core.down("shared")
    result["speedup_first"] = round(result["community_first_seconds"] / result["ours_first_seconds"], 1)
    result["speedup_noop"] = round(result["community_noop_seconds"] / result["ours_noop_seconds"], 1)
    result["noop_only_reads"] = set(result["ours_noop"]["requests"]) <= {"GET"}
    result["noop_changed"] = result["ours_noop"]["summary"].get("created", 0) + result["ours_noop"]["summary"].get(
        "updated", 0)
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = ["# Vault configuration benchmark", "",
             "%d clusters x %d environments: %d objects (auth mounts, KV mounts, policies, auth roles)"
             % (len(clusters), len(environments), objects), "",
             "| | first apply (s) | no-op re-run (s) |", "| --- | --- | --- |",
             "| krci.platform.vault_config (one task) | %s | %s |" % (result["ours_first_seconds"],
                                                                    result["ours_noop_seconds"]),
             "| community.hashi_vault.vault_write (loops) | %s | %s |" % (result["community_first_seconds"],
                                                                        result["community_noop_seconds"]),
             "| speed-up | %sx | %sx |" % (result["speedup_first"], result["speedup_noop"]), "",
             "No-op requests (ours): %s; only reads: %s; objects changed: %s" % (
                 result["ours_noop"]["requests"], result["noop_only_reads"], result["noop_changed"]),
             "The loop's no-op still writes every policy and role (vault_write cannot compare) and reports them changed.",
             ""]
    _results.write("vault", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
