"""Benchmark krci.platform.keycloak_realm against community.general keycloak modules in a loop.

    python bench/keycloak.py [--objects 500]

Both configure the same realm content on the sandbox's real Keycloak: realm roles, groups with a
realm role mapping each, and clients with a protocol mapper each (about --objects objects in
all). Measures the first apply and the no-op re-run of each, and the requests of our no-op.
Writes bench/results/keycloak.json and bench/results/keycloak.md. Goal (issue 4): >= 20x faster
than the loop, and a no-op that only reads.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import core  # noqa: E402  pylint: disable=wrong-import-position


def content(objects):
    """Role names and client IDs: each role brings a group and a mapping (3 objects), each client a mapper (2)."""
    roles = ["bench-role-%03d" % i for i in range(max(1, objects // 6))]
    clients = ["bench-client-%03d" % i for i in range(max(1, (objects - 3 * len(roles)) // 2))]
    return roles, clients


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=500)
    args = parser.parse_args()
    roles, clients = content(args.objects)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["KRCI_SANDBOX_HOME"] = str(scratch / "home")
        os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(scratch / "inventories")
        state = core.up("shared")
        try:
            creds = json.loads(Path(state["keycloak"]["credentials_file"]).read_text())
            auth = {"auth_keycloak_url": state["keycloak"]["url"], "auth_realm": "master", "auth_client_id": "admin-cli",
                    "auth_username": creds["keycloak_admin_username"], "auth_password": creds["keycloak_admin_password"]}
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
                       ANSIBLE_LOCALHOST_WARNING="false", SSL_CERT_FILE=state["keycloak"]["ca_file"])
            env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
            mapper = {"name": "audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                      "config": {"included.client.audience": "kubernetes", "access.token.claim": "true"}}
            ours = dict(auth, ca_path=state["keycloak"]["ca_file"], realm="bench-ours",
                        roles=[{"name": r} for r in roles],
                        groups=[{"name": r.replace("role", "group"), "realmRoles": [r]} for r in roles],
                        clients=[{"clientId": c, "publicClient": True, "redirectUris": ["https://%s.example.invalid/cb" % c],
                                  "protocolMappers": [mapper]} for c in clients])
            out = scratch / "ours.json"
            ours_play = scratch / "ours.yml"
            ours_play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                {"krci.platform.keycloak_realm": ours, "register": "r", "no_log": True},
                {"ansible.builtin.copy": {"content": "{{ {'summary': r.summary, 'requests': r.requests} | to_json }}",
                                          "dest": str(out), "mode": "0600"}}]}]))
            cg_auth = dict(auth, validate_certs=True)
            cg_play = scratch / "community.yml"
            cg_play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                {"community.general.keycloak_realm": dict(cg_auth, id="bench-cg", realm="bench-cg", enabled=True)},
                {"community.general.keycloak_role": dict(cg_auth, realm="bench-cg", name="{{ item }}"),
                 "loop": roles},
                {"community.general.keycloak_group": dict(cg_auth, realm="bench-cg",
                                                          name="{{ item | replace('role', 'group') }}"), "loop": roles},
                {"community.general.keycloak_realm_rolemapping": dict(
                    cg_auth, realm="bench-cg", group_name="{{ item | replace('role', 'group') }}",
                    roles=[{"name": "{{ item }}"}]), "loop": roles},
                {"community.general.keycloak_client": dict(
                    cg_auth, realm="bench-cg", client_id="{{ item }}", public_client=True,
                    redirect_uris=["https://{{ item }}.example.invalid/cb"],
                    protocol_mappers=[{"name": "audience", "protocol": "openid-connect",
                                       "protocolMapper": "oidc-audience-mapper",
                                       "config": mapper["config"]}]), "loop": clients},
            ]}]))
            result = {"objects": {"roles": len(roles), "groups": len(roles), "group_role_mappings": len(roles),
                                  "clients": len(clients), "client_mappers": len(clients)}}
            result["objects"]["total"] = sum(result["objects"].values())
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
    result["noop_only_reads"] = set(result["ours_noop"]["requests"]) <= {"GET", "TOKEN"}
    result["goal"] = ">= 20x faster than the loop, and a no-op that only reads"
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = ["# Keycloak realm benchmark", "", "%d objects: %s" % (result["objects"]["total"], result["objects"]), "",
             "| | first apply (s) | no-op re-run (s) |", "| --- | --- | --- |",
             "| krci.platform.keycloak_realm (one task) | %s | %s |" % (result["ours_first_seconds"], result["ours_noop_seconds"]),
             "| community.general keycloak_* (loops) | %s | %s |" % (result["community_first_seconds"],
                                                                   result["community_noop_seconds"]),
             "| speed-up | %sx | %sx |" % (result["speedup_first"], result["speedup_noop"]), "",
             "No-op requests (ours): %s; only reads: %s" % (result["ours_noop"]["requests"], result["noop_only_reads"]), ""]
    _results.write("keycloak", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
