#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_raft_snapshot
short_description: Save a Vault/OpenBao raft snapshot into an encrypted backup artifact
version_added: 0.9.0
description:
  - Streams C(GET /v1/sys/storage/raft/snapshot) of the active node into O(dest), encrypted for O(recipient)
    as it arrives (see docs/day2.md). The snapshot is the server's data as stored, sealed by its keys - a
    restore needs the unseal keys of the time of the backup, which this artifact never holds.
  - Logs in with the admin AppRole of O(credentials_from) (the collection's admin policy reads snapshots), or
    uses O(token).
  - A server that is sealed, restarts or stops answering mid-stream fails the task, naming the server, and
    leaves no artifact; a snapshot that is not a gzip stream is refused.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.credentials
  - krci.platform.backup_artifact
options:
  token:
    description:
      - A token allowed to read C(sys/storage/raft/snapshot). Defaults to E(VAULT_TOKEN), then E(BAO_TOKEN).
      - One of O(token) and O(credentials_from) is required.
    type: str
attributes:
  check_mode:
    description: Logs in and checks the server is unsealed and active; writes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Back up OpenBao
  krci.platform.vault_raft_snapshot:
    url: https://openbao.example.com:8200
    ca_cert: /etc/krci/ca.pem
    credentials_from: {type: kubernetes, kubeconfig: ~/.kube/platform, namespace: vault-admin}
    name: openbao-raft-snapshot
    dest: /var/backups/krci/staging/openbao-raft-snapshot.enc
    recipient: "{{ lookup('ansible.builtin.file', 'backup.pub') }}"
"""

RETURN = r"""
artifact:
  description: The artifact written - C(name), C(file), C(size) and C(sha256) of the encrypted file,
    C(plaintext_size) (the snapshot's bytes), C(seconds); in check mode C(name) and C(planned).
  returned: always
  type: dict
version:
  description: The server's version, from its seal status.
  returned: always
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import (
    _backup_args, _vault_client)
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (
    KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC, client_from_params, log_in)

GZIP = b"\x1f\x8b"


def main(module_class=AnsibleModule):
    argument_spec = dict(
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["VAULT_TOKEN", "BAO_TOKEN"])),
        credentials_from=dict(type="dict", no_log=False, options=KEY_STORE_OPTIONS),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    argument_spec.update(_backup_args.ARTIFACT_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True,
                          required_one_of=[("token", "credentials_from")])
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    _backup_args.checked(module)
    started = time.time()
    client = client_from_params(module)
    params = module.params
    try:
        status = client.seal_status()
        if status.get("sealed"):
            raise _vault_client.VaultError("%s is sealed; unseal it (krci.platform.vault_unseal) and run the backup again"
                                           % client.url)
        log_in(module, client)
        client.call("GET", "auth/token/lookup-self", "log in to %s" % client.url)
    except _vault_client.VaultError as exc:
        module.fail_json(msg="%s; no artifact was written" % exc)
    _backup_args.write(module, _snapshot(client), started, errors=(_vault_client.VaultError,),
                       version=status.get("version"))


def _snapshot(client):
    first = True
    for chunk in client.stream("sys/storage/raft/snapshot", "read the raft snapshot of %s" % client.url):
        if first and not chunk.startswith(GZIP):
            raise _vault_client.VaultError("the raft snapshot of %s is not a gzip stream (it starts %r); is its storage "
                                           "raft?" % (client.url, chunk[:16]))
        first = False
        yield chunk


if __name__ == "__main__":
    main()
