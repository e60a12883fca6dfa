#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_rekey
short_description: Rotate Vault's unseal keys (or an auto-unseal's recovery keys) into their key store
version_added: 0.9.0
description:
  - Rotates the key shares of OpenBao through its authenticated C(sys/rotate/root) (Shamir seal) or
    C(sys/rotate/recovery) (auto-unseal) endpoints (OpenBao 2.4 and later; its unauthenticated C(sys/rekey) is off
    from 2.5), or of HashiCorp Vault through C(sys/rekey) and C(sys/rekey-recovery-key), with the same number of
    shares and threshold, submitting the current shares from O(key_destination) (where
    M(krci.platform.vault_init) wrote them).
  - Logs in with the admin AppRole of O(credentials_from) (the collection's admin policy may rotate key shares),
    or uses O(token).
  - With verification, so the new shares take effect only once proven. They are written to the store as
    C(pending) before that, then verified, then made the store's shares. The old shares no longer unseal.
    A run that stopped in between finds C(pending), asks the server which set it takes (a rekey started
    and cancelled, which changes nothing), and keeps that set.
  - The store records O(rotation_id); a re-run with the same name changes nothing.
  - PGP-encrypted shares (one per operator) cannot be submitted by the collection; the module fails and
    says how to rekey by hand.
  - Nothing secret is returned.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.destination
  - krci.platform.vault_key_store.credentials
options:
  token:
    description:
      - A token allowed on C(sys/rotate/root/*). Defaults to E(VAULT_TOKEN), then E(BAO_TOKEN).
      - One of O(token) and O(credentials_from) is required.
    type: str
  rotation_id:
    description: The rotation's name, recorded with the key shares.
    type: str
    required: true
attributes:
  check_mode:
    description: Says whether it would rekey; submits no share.
    support: full
  diff_mode:
    description: Not supported; key shares are never shown.
    support: none
"""

EXAMPLES = r"""
- name: New unseal keys, kept where the old ones were
  krci.platform.vault_rekey:
    url: https://vault.example.com:8200
    key_destination: {type: kubernetes, kubeconfig: /etc/krci/platform.kubeconfig}
    credentials_from: {type: file, path: /etc/krci/vault-admin.json}
    rotation_id: "2026-12-04"
"""

RETURN = r"""
rotated:
  description: Whether this run made new shares.
  returned: always
  type: bool
store:
  description: Where the shares are kept.
  returned: always
  type: str
shares:
  description: Number of shares.
  returned: always
  type: int
threshold:
  description: Shares needed to unseal.
  returned: always
  type: int
endpoint:
  description: The endpoints used, C(sys/rotate/root) (OpenBao) or C(sys/rekey) (HashiCorp Vault), or their recovery ones.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils import _vault_keys
from ansible_collections.krci.platform.plugins.module_utils._rotation import check_rotation_id
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC,
                                                                                client_from_params, log_in)
from ansible_collections.krci.platform.plugins.module_utils._vault_rotation import rekey


def main(module_class=AnsibleModule):
    argument_spec = dict(
        key_destination=dict(type="dict", required=True, no_log=False, options=KEY_STORE_OPTIONS),
        credentials_from=dict(type="dict", no_log=False, options=KEY_STORE_OPTIONS),
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["VAULT_TOKEN", "BAO_TOKEN"])),
        rotation_id=dict(type="str", required=True),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True,
                          required_one_of=[("token", "credentials_from")])
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    check_rotation_id(module)
    try:
        store = _vault_keys.key_store(params["key_destination"])
        client = client_from_params(module)
        # Read before logging in: a sealed server refuses the login with a less telling error.
        status = client.seal_status()
        if status.get("sealed"):
            raise _vault_client.VaultError("%s is sealed; unseal it first (the option playbook's secrets play), then "
                                           "rotate" % client.url)
        log_in(module, client)
        changed, info = rekey(client, store, params["rotation_id"], module.check_mode, status=status)
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, **info)


if __name__ == "__main__":
    main()
