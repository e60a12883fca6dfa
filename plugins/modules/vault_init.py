#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_init
short_description: Initialize Vault or OpenBao once, and keep the keys where you say
version_added: 0.1.0
description:
  - Initializes an uninitialized server with Shamir key shares and threshold.
  - The key shares go only to O(key_destination), the initial root token only to
    O(credential_destination); each is a controller file of mode 0600, a Secret in a namespace of its
    own, or AWS Secrets Manager. Nothing goes to the output, unless O(return_keys=true) (then set
    C(no_log) on the task).
  - With O(pgp_keys), Vault encrypts each share to one operator's PGP key before it leaves the server,
    so the stored shares unseal nothing until their operators decrypt them (no single read unseals);
    M(krci.platform.vault_unseal) then takes the decrypted shares as O(krci.platform.vault_unseal#module:keys).
  - With an auto-unseal seal (transit, cloud KMS), the server makes recovery keys instead of unseal
    keys; O(key_shares) and O(key_threshold) then apply to them, and they are kept the same way.
  - An initialized server is left alone, C(changed=false), no new keys.
  - Refuses to initialize when the destination already holds keys (a new server over old keys
    looks like data loss) unless O(force=true).
  - If writing the keys fails after initialization, they are written to a rescue file in the
    controller user's home and the error says where.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.destination
  - krci.platform.vault_key_store.credential_destination
options:
  pgp_keys:
    description:
      - One PGP public key per share (base64 of the binary key, as C(gpg --export <id> | base64 -w0)
        prints it), in the order the shares are handed out; as many as O(key_shares).
      - The stored shares are then encrypted, each to its operator; the root token is not.
    type: list
    elements: str
  key_shares:
    description: Number of unseal key shares.
    type: int
    default: 5
  key_threshold:
    description: Shares needed to unseal; at least 2 unless O(allow_single_key=true), at most O(key_shares).
    type: int
    default: 3
  allow_single_key:
    description: Allow a threshold of 1 (development servers only).
    type: bool
    default: false
  force:
    description: Initialize even when the destination already holds keys.
    type: bool
    default: false
  return_keys:
    description: Also return the keys and root token; set C(no_log) on the task then. Avoid.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reports whether it would initialize; writes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Initialize the platform Vault
  krci.platform.vault_init:
    url: https://vault.example.com
    ca_cert: /etc/krci/ca.crt
    key_shares: 5
    key_threshold: 3
    key_destination:
      type: file
      path: /var/lib/krci/vault-keys.json
    credential_destination:
      type: file
      path: /var/lib/krci-admin/vault-admin.json

- name: Initialize, keeping the keys in a Secret of the platform cluster
  krci.platform.vault_init:
    url: https://vault.example.com
    key_destination:
      type: kubernetes
      kubeconfig: /etc/krci/platform.kubeconfig
      namespace: vault-keys
    credential_destination:
      type: kubernetes
      kubeconfig: /etc/krci/platform.kubeconfig
      namespace: vault-admin
    # Each share encrypted to one operator: no single read of the Secret unseals.
    pgp_keys:
      - "{{ lookup('ansible.builtin.file', 'operators/ops1.b64') }}"
      - "{{ lookup('ansible.builtin.file', 'operators/ops2.b64') }}"
      - "{{ lookup('ansible.builtin.file', 'operators/ops3.b64') }}"
    key_shares: 3
    key_threshold: 2

- name: Initialize, keeping the keys in AWS Secrets Manager
  krci.platform.vault_init:
    url: https://vault.example.com
    key_destination:
      type: aws_secrets_manager
      secret_name: krci/vault-init
      region: eu-central-1
"""

RETURN = r"""
initialized:
  description: Whether the server is initialized after the call (in check mode, before).
  returned: always
  type: bool
keys_written_to:
  description: The destination of the key shares written in this call, or null.
  returned: always
  type: str
credential_written_to:
  description: The destination of the initial root token written in this call, or null.
  returned: always
  type: str
keys:
  description: Unseal keys (PGP-encrypted with O(pgp_keys)).
  returned: when O(return_keys=true) and the server was initialized by this call
  type: list
  elements: str
root_token:
  description: Initial root token.
  returned: when O(return_keys=true) and the server was initialized by this call
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils import _vault_keys
from ansible_collections.krci.platform.plugins.module_utils import _vault_lifecycle
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (CREDENTIAL_STORE_OPTIONS,
                                                                                KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC,
                                                                                client_from_params)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        key_shares=dict(type="int", default=5, no_log=False),
        key_threshold=dict(type="int", default=3, no_log=False),
        allow_single_key=dict(type="bool", default=False),
        key_destination=dict(type="dict", required=True, no_log=False, options=KEY_STORE_OPTIONS),
        credential_destination=dict(type="dict", no_log=False, options=CREDENTIAL_STORE_OPTIONS),
        pgp_keys=dict(type="list", elements="str", no_log=False),
        force=dict(type="bool", default=False),
        return_keys=dict(type="bool", default=False),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    if params["key_threshold"] < 2 and not params["allow_single_key"]:
        module.fail_json(msg="key_threshold must be at least 2 (set allow_single_key for a development server)")
    if params["key_threshold"] > params["key_shares"]:
        module.fail_json(msg="key_threshold (%d) is greater than key_shares (%d); no Vault can be unsealed that way"
                         % (params["key_threshold"], params["key_shares"]))
    if params["pgp_keys"] and len(params["pgp_keys"]) != params["key_shares"]:
        module.fail_json(msg="pgp_keys has %d key(s) but key_shares is %d; give one operator's PGP public key per share"
                         % (len(params["pgp_keys"]), params["key_shares"]))
    try:
        store, credentials = _vault_keys.stores(params["key_destination"], params["credential_destination"])
        changed, info = _vault_lifecycle.initialize(client_from_params(module), store, params["key_shares"],
                                                    params["key_threshold"], params["force"], module.check_mode,
                                                    credentials, params["pgp_keys"])
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    if credentials is store and changed:
        module.warn("the initial root token is kept with the key shares in %s: whoever reads it owns Vault; "
                    "give credential_destination" % store.describe())
    result = dict(changed=changed, initialized=info["initialized"], keys_written_to=info["keys_written_to"],
                  credential_written_to=info["credential_written_to"])
    secrets = info.get("secrets")
    if secrets and params["return_keys"]:
        result.update(keys=secrets["keys"], root_token=secrets["root_token"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
