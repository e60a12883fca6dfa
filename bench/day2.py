"""Benchmark the backup and the restore of the separated platform on the sandbox: the backup (to a controller
directory) of the converged platform, the archive's size per artifact, then the recovery of a lost platform cluster
(etcd, Keycloak's database and OpenBao's data destroyed): restore.yml, the converge that follows, the time to recover;
then a rotation of every credential (rotate.yml --check, the rotation, its no-op re-run), and an upgrade of the
three Argo CD instances one release up and back (upgrade.yml --check, up, back, the no-op re-run).

    python bench/day2.py

Writes bench/results/day2.json and bench/results/day2.md. Brings up (and stops) its own separated sandbox.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import _results  # noqa: E402  pylint: disable=wrong-import-position
from sandbox import build, core  # noqa: E402  pylint: disable=wrong-import-position

OPTION = "separated"


def keypair(where):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import x25519

    private = x25519.X25519PrivateKey.generate()
    (where / "backup.pub").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (where / "backup.key").write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def main():
    from vault_client import key_shares  # pylint: disable=import-outside-toplevel

    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        env["KRCI_SANDBOX_HOME"] = os.environ["KRCI_SANDBOX_HOME"] = str(where / "home")
        env["KRCI_SANDBOX_INVENTORY_DIR"] = os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(where / "inventories")
        state = core.up(OPTION)
        try:
            inventory = ["-i", state["inventory"]]
            converge = _results.run_playbook(REPO / "playbooks" / "separated.yml", env, inventory)
            core.start_sealed_secrets(OPTION)
            time.sleep(5)  # the controller makes its key when it first starts
            keypair(where)
            (where / "backup.yml").write_text(json.dumps({
                "backup_destinations": [{"type": "directory", "path": str(where / "backups")}],
                "backup_recipient_file": str(where / "backup.pub")}))
            backup_check = _results.run_playbook(REPO / "playbooks" / "backup.yml", env,
                                                 inventory + ["-e", "@%s" % (where / "backup.yml"), "--check"])
            backup = _results.run_playbook(REPO / "playbooks" / "backup.yml", env,
                                           inventory + ["-e", "@%s" % (where / "backup.yml")])
            [archive] = sorted((where / "backups").iterdir())
            manifest = json.loads((archive / "manifest.json").read_text())
            (where / "keys.json").write_text(json.dumps({"keys": key_shares(state)["keys"]}))
            started = time.monotonic()
            core.recreate(OPTION, ["platform", "keycloak", "openbao"])
            wipe = round(time.monotonic() - started, 2)
            (where / "restore.yml").write_text(json.dumps({
                "restore_source": {"type": "directory", "path": str(archive)},
                "restore_identity_file": str(where / "backup.key"),
                "restore_vault_unseal_keys_file": str(where / "keys.json")}))
            restore_args = inventory + ["-e", "@%s" % (where / "restore.yml")]
            restore_check = _results.run_playbook(REPO / "playbooks" / "restore.yml", env, restore_args + ["--check"])
            restore = _results.run_playbook(REPO / "playbooks" / "restore.yml", env, restore_args)
            reconverge = _results.run_playbook(REPO / "playbooks" / "separated.yml", env, inventory)
            noop = _results.run_playbook(REPO / "playbooks" / "separated.yml", env, inventory)
            rotate_args = inventory + ["-e", "rotate_id=bench"]
            rotate_check = _results.run_playbook(REPO / "playbooks" / "rotate.yml", env, rotate_args + ["--check"])
            rotate = _results.run_playbook(REPO / "playbooks" / "rotate.yml", env, rotate_args)
            rotate_noop = _results.run_playbook(REPO / "playbooks" / "rotate.yml", env, rotate_args)
            # Argo CD one release up (three instances, one at a time, a backup first), back, then the no-op re-run.
            up_args = inventory + ["-e", "@%s" % (where / "backup.yml"), "-e", json.dumps({
                "argocd_version": "v" + build.versions.ARGOCD_NEXT,
                "argocd_install_manifest": str(build.argocd(build.versions.ARGOCD_NEXT) / "install.yaml")})]
            upgrade_check = _results.run_playbook(REPO / "playbooks" / "upgrade.yml", env, up_args + ["--check"])
            upgrade = _results.run_playbook(REPO / "playbooks" / "upgrade.yml", env, up_args)
            back_args = inventory + ["-e", "@%s" % (where / "backup.yml")]
            upgrade_back = _results.run_playbook(REPO / "playbooks" / "upgrade.yml", env, back_args)
            upgrade_noop = _results.run_playbook(REPO / "playbooks" / "upgrade.yml", env, back_args)
        finally:
            core.down(OPTION)
    artifacts = dict((a["name"], {"bytes": a["size"], "plaintext_bytes": a.get("plaintext_size"),
                                  "seconds": manifest["seconds"].get(a["name"])}) for a in manifest["artifacts"])
    size = sum(a["size"] for a in manifest["artifacts"]) + len(json.dumps(manifest))
    result = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count(),
              "option": OPTION, "first_converge_seconds": converge,
              "backup": {"check_seconds": backup_check, "seconds": backup, "archive_bytes": size, "artifacts": artifacts},
              "recovery": {"destroy_seconds": wipe, "restore_check_seconds": restore_check, "restore_seconds": restore,
                           "converge_seconds": reconverge, "time_to_recover_seconds": round(restore + reconverge, 2),
                           "noop_seconds": noop},
              "rotation": {"check_seconds": rotate_check, "seconds": rotate, "rerun_seconds": rotate_noop},
              "upgrade": {"argocd_from": build.versions.ARGOCD, "argocd_to": build.versions.ARGOCD_NEXT, "instances": 3,
                          "check_seconds": upgrade_check, "seconds": upgrade, "back_seconds": upgrade_back,
                          "rerun_seconds": upgrade_noop}}
    lines = ["# Day 2 benchmark (separated platform on the sandbox)", "",
             "| step | seconds |", "| --- | --- |",
             "| backup --check | %.2f |" % backup_check, "| backup | %.2f |" % backup,
             "| restore.yml --check (platform, Keycloak and OpenBao destroyed) | %.2f |" % restore_check,
             "| restore.yml | %.2f |" % restore, "| option playbook after the restore | %.2f |" % reconverge,
             "| **time to recover** (restore + converge) | **%.2f** |" % (restore + reconverge),
             "| re-run (no-op) | %.2f |" % noop,
             "| rotate.yml --check (every credential) | %.2f |" % rotate_check,
             "| rotate.yml (client secrets, push token, AppRole secret ID, unseal keys, admin password) | %.2f |" % rotate,
             "| rotate.yml re-run, same rotate_id (no-op) | %.2f |" % rotate_noop,
             "| upgrade.yml --check (Argo CD v%s to v%s, 3 instances) | %.2f |" % (
                 build.versions.ARGOCD, build.versions.ARGOCD_NEXT, upgrade_check),
             "| upgrade.yml (a backup, then hub, staging, production one at a time) | %.2f |" % upgrade,
             "| upgrade.yml back to v%s | %.2f |" % (build.versions.ARGOCD, upgrade_back),
             "| upgrade.yml re-run (no-op, no backup) | %.2f |" % upgrade_noop, "",
             "| artifact | bytes (encrypted) | bytes (plain) | seconds |", "| --- | --- | --- | --- |"]
    for name, item in sorted(artifacts.items()):
        lines.append("| %s | %d | %s | %s |" % (name, item["bytes"], item["plaintext_bytes"], item["seconds"]))
    lines += ["", "Archive: %d bytes. Measured %s on %d cores; the first converge took %.2f s." % (
        size, result["measured_at"], result["cores"], converge)]
    _results.write("day2", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
