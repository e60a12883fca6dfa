#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_raft_restore
short_description: Restore a raft snapshot into a fresh Vault/OpenBao and unseal it with the original keys
version_added: 0.9.0
description:
  - Reads the C(openbao-raft-snapshot) artifact of a fetched archive (see M(krci.platform.vault_raft_snapshot)).
  - A fresh (uninitialized) server is initialized with one throw-away share, unsealed, and given the snapshot
    (C(sys/storage/raft/snapshot-force)) - the snapshot's data, keyring, policies, auth methods and tokens replace
    the throw-away ones and the server seals; then O(unseal_keys) (the keys of the time of the backup, which an
    archive never holds) unseal it. The throw-away share and token are never kept.
  - A server that is initialized and sealed (a restore cut off after the snapshot, or a restart) is only unsealed
    with O(unseal_keys). An initialized, unsealed server whose O(key_destination) holds O(unseal_keys) was restored
    already (C(changed=false)); one whose store holds other keys was initialized anew and is refused - a restore
    never replaces a working server's data.
  - The original keys are written to O(key_destination) too when it does not hold them (a new platform cluster's
    key store is empty), so the option playbook unseals the server with them after a restart.
  - An auto-unseal server (such as awskms, the KMS key of the backup's server) is initialized with one throw-away
    recovery share, unseals itself, and takes the snapshot (the root key in it is wrapped by the same KMS key, and the
    original recovery keys come back with it). O(unseal_keys) are then the original recovery keys, for
    O(key_destination); they may be left out.
  - Refuses, before any write, a server older (major.minor) than the one the snapshot was taken from, and a snapshot
    of a Shamir server into an auto-unseal one or the other way round.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.backup_restore
  - krci.platform.vault_key_store.destination
options:
  unseal_keys:
    description:
      - The unseal keys (shares) of the time of the backup, at least the threshold. Required for a Shamir seal.
      - For an auto-unseal server, the recovery keys of the time of the backup (written to O(key_destination) as its
        recovery keys), or none.
    type: list
    elements: str
    default: []
  archived_version:
    description: The server version the snapshot was taken from (the archive manifest's C(versions.openbao)).
    type: str
    required: true
attributes:
  check_mode:
    description: Reads the server's state and says what would be done; writes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Restore OpenBao on the new platform cluster
  krci.platform.vault_raft_restore:
    url: https://openbao.example.com:8200
    ca_cert: /etc/krci/ca.pem
    archive: /tmp/restore
    name: openbao-raft-snapshot
    identity: "{{ lookup('ansible.builtin.file', '/secure/backup.key') }}"
    unseal_keys: "{{ original_unseal_keys }}"
    archived_version: "{{ fetched.manifest.versions.openbao }}"
    key_destination: {type: kubernetes, kubeconfig: ~/.kube/platform, namespace: vault-keys, name: vault-init}
"""

RETURN = r"""
what:
  description: What was done - restored and unsealed, unsealed with the original keys, or nothing.
  returned: success
  type: str
keys_written_to:
  description: The key store the original keys were written to, when they were.
  returned: success
  type: str
version:
  description: The server's version.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import (
    _backup, _backup_args, _vault_client, _vault_keys, _vault_lifecycle)
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (
    KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC, client_from_params)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        unseal_keys=dict(type="list", elements="str", default=[], no_log=True),
        key_destination=dict(type="dict", required=True, options=KEY_STORE_OPTIONS, no_log=False),
        archived_version=dict(type="str", required=True),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    argument_spec.update(_backup_args.RESTORE_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    snapshot = _backup_args.read(module)
    client = client_from_params(module)
    written = None
    try:
        status = client.seal_status()
        version = status.get("version")
        problem = _backup.version_fits("OpenBao", params["archived_version"], version)
        if problem:
            module.fail_json(msg=problem)
        store = _vault_keys.key_store(params["key_destination"])
        held = store.read() if store.exists() else {}
        auto = (status.get("type") or "shamir") != "shamir"
        if not auto and not params["unseal_keys"]:
            module.fail_json(msg="%s is sealed by Shamir keys: give unseal_keys, the keys of the time of the backup "
                                 "(restore_vault_unseal_keys; the archive never holds them); nothing was restored"
                                 % client.url)
        fields = ("recovery_keys", "recovery_keys_base64") if auto else ("keys", "keys_base64")
        holds_keys = (params["unseal_keys"] in [held.get(f) for f in fields]) or (auto and not params["unseal_keys"])
        if status.get("initialized") and not status.get("sealed") and not holds_keys:
            module.fail_json(msg="%s is initialized and unsealed, and %s does not hold the keys given: it was initialized "
                                 "anew (a converge before the restore?), and a restore only fills a fresh server. Empty "
                                 "its storage, start it again uninitialized and run restore.yml before the option "
                                 "playbook; nothing was restored" % (client.url, store.describe()))
        changed, what = _vault_lifecycle.restore_snapshot(client, snapshot, params["unseal_keys"], module.check_mode,
                                                          status=status)
        if not holds_keys:
            if not module.check_mode:
                status = client.seal_status()
                store.write({fields[0]: params["unseal_keys"], fields[1]: None, "pgp_encrypted": False,
                             "seal_type": status.get("type") or "shamir", "threshold": status.get("t"),
                             "shares": status.get("n"), "url": client.url, "restored_from_backup": True})
            written = store.describe()
            changed = True
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, what=what, keys_written_to=written, version=version)


if __name__ == "__main__":
    main()
