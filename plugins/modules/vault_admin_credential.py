#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_admin_credential
short_description: Replace Vault's initial root token by a scoped AppRole admin credential
version_added: 0.1.0
description:
  - Reads the credential store M(krci.platform.vault_init) wrote (O(credential_destination)). With a
    root token there and no admin credential yet, it enables an AppRole mount, writes the admin policy
    and role, makes a secret ID, keeps role ID and secret ID in the same store, proves they log in,
    and then revokes the initial root token (O(revoke_root)).
  - A root token or admin credential still kept with the key shares in O(key_destination) (releases
    before 0.3) is first moved to O(credential_destination), and removed from the key shares' store.
  - Without O(credential_destination), the credential stays with the key shares, and the module warns.
  - Later runs log in with the stored AppRole (M(krci.platform.vault_config) with
    O(krci.platform.vault_config#module:credentials_from)); the module then reports C(changed=false).
  - A handover interrupted after the store was written is finished on the next run.
  - Nothing secret is returned.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.destination
  - krci.platform.vault_key_store.credential_destination
options:
  approle_mount:
    description: Path of the AppRole auth mount.
    type: str
    default: approle
  role_name:
    description: AppRole role of the automation.
    type: str
    default: krci-platform-admin
  policy_name:
    description: Name of the admin policy.
    type: str
    default: krci-platform-admin
  policy:
    description:
      - HCL of the admin policy. The default allows mounts, auth methods, policies, audit devices,
        every C(auth/*) path and the C(kv-*) mounts; it holds no root capability.
    type: str
  token_ttl:
    description: Seconds a login token lives (max four times that).
    type: int
    default: 3600
  revoke_root:
    description: Revoke the initial root token once the admin credential works.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reports whether it would hand over; writes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Keep a scoped admin credential and revoke the root token
  krci.platform.vault_admin_credential:
    url: https://vault.example.com
    key_destination:
      type: kubernetes
      kubeconfig: /etc/krci/platform.kubeconfig
    credential_destination:
      type: kubernetes
      kubeconfig: /etc/krci/platform.kubeconfig
      namespace: vault-admin
"""

RETURN = r"""
admin_role:
  description: The AppRole role that now administers the server.
  returned: always
  type: str
root_token_revoked:
  description: Whether the initial root token is revoked after the call (in check mode, would be).
  returned: always
  type: bool
moved:
  description: What was moved out of the key shares' store into the credential store, or null.
  returned: always
  type: str
  sample: admin and root_token from Secret vault-keys/vault-init on https://platform:6443 to Secret vault-admin/vault-admin-credential on https://platform:6443
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
        key_destination=dict(type="dict", required=True, no_log=False, options=KEY_STORE_OPTIONS),
        credential_destination=dict(type="dict", no_log=False, options=CREDENTIAL_STORE_OPTIONS),
        approle_mount=dict(type="str", default="approle"),
        role_name=dict(type="str", default="krci-platform-admin"),
        policy_name=dict(type="str", default="krci-platform-admin"),
        policy=dict(type="str"),
        token_ttl=dict(type="int", default=3600, no_log=False),
        revoke_root=dict(type="bool", default=True),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    try:
        keys, store = _vault_keys.stores(params["key_destination"], params["credential_destination"])
        client = client_from_params(module)
        if client.seal_status().get("sealed"):
            raise _vault_client.VaultError("%s is sealed; unseal it first (krci.platform.vault_unseal)" % client.url)
        changed, info = _vault_lifecycle.hand_over(client, store, params["approle_mount"].strip("/"), params["role_name"],
                                                   params["policy_name"], params["policy"] or _vault_lifecycle.ADMIN_POLICY,
                                                   params["token_ttl"], params["revoke_root"], module.check_mode,
                                                   before=lambda: _vault_keys.separate(keys, store, module.check_mode))
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    if store is keys:
        module.warn("the admin credential is kept with the key shares in %s: whoever reads it owns Vault; "
                    "give credential_destination" % keys.describe())
    module.exit_json(changed=changed or bool(info.get("moved")), **info)


if __name__ == "__main__":
    main()
