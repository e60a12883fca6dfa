#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_unseal
short_description: Unseal Vault or OpenBao with Shamir keys
version_added: 0.1.0
description:
  - Sealed server, submits keys until it is unsealed and active; unsealed server, C(changed=false).
  - Keys come from O(keys) or from the O(key_source) file that M(krci.platform.vault_init) wrote.
  - Too few or wrong keys fail with how many keys were accepted and the threshold.
  - Shares that M(krci.platform.vault_init) encrypted with PGP (its O(krci.platform.vault_init#module:pgp_keys))
    are not used from the store; a sealed server then fails naming the store, and the operators' decrypted
    shares go in O(keys).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.source
options:
  keys:
    description: Unseal keys (hex or base64); with PGP-encrypted shares, the operators' decrypted ones.
    type: list
    elements: str
  version:
    description:
      - Wait until the server answers as this release (C(version) of C(sys/seal-status)) before unsealing, for up to
        O(wait_timeout) seconds, refused connections included. For a server being replaced (an upgrade's pod).
    type: str
  wait_timeout:
    description: Seconds to wait for O(version).
    type: int
    default: 120
attributes:
  check_mode:
    description: Reports whether it would unseal; submits no key.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Unseal with the keys vault_init kept
  krci.platform.vault_unseal:
    url: https://vault.example.com
    key_source:
      path: /var/lib/krci/vault-keys.json

- name: Unseal a replaced server once it runs the new release
  krci.platform.vault_unseal:
    url: https://openbao-0.vault.example.com:8200
    key_source:
      path: /var/lib/krci/vault-keys.json
    version: 2.7.2
    wait_timeout: 300
"""

RETURN = r"""
sealed:
  description: Whether the server is sealed after the call.
  returned: always
  type: bool
threshold:
  description: Keys needed to unseal.
  returned: always
  type: int
version:
  description: The release the server runs (its seal status's C(version)).
  returned: always
  type: str
  sample: 2.7.2
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils import _vault_keys
from ansible_collections.krci.platform.plugins.module_utils import _vault_lifecycle
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC,
                                                                                client_from_params)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        keys=dict(type="list", elements="str", no_log=True),
        key_source=dict(type="dict", no_log=False, options=KEY_STORE_OPTIONS),
        version=dict(type="str"),
        wait_timeout=dict(type="int", default=120),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True,
                          required_one_of=[("keys", "key_source")], mutually_exclusive=[("keys", "key_source")])
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    try:
        keys = module.params["keys"]
        if keys is None:
            store = _vault_keys.key_store(module.params["key_source"], "key_source")
            data = store.read()
            keys = data.get("keys") or []
            if data.get("pgp_encrypted"):
                client = client_from_params(module)
                if client.seal_status().get("sealed"):
                    raise _vault_client.VaultError(
                        "%s is sealed and the key shares in %s are PGP-encrypted, one per operator: %s operators "
                        "decrypt theirs (echo <share> | base64 -d | gpg -dq) and give them as keys "
                        "(vault_unseal_keys), or unseal by hand (bao operator unseal)"
                        % (client.url, store.describe(), data.get("threshold") or "threshold"))
                keys = []
            for value in keys + (data.get("keys_base64") or []) + [data.get("root_token") or "",
                                                                   (data.get("admin") or {}).get("secret_id") or ""]:
                if value:
                    module.no_log_values.add(value)
        client = client_from_params(module)
        if module.params["version"]:
            _vault_lifecycle.await_version(client, module.params["version"], module.params["wait_timeout"])
        changed, status = _vault_lifecycle.unseal(client, keys, module.check_mode)
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, sealed=bool(status.get("sealed")), threshold=status.get("t"),
                     version=status.get("version"))


if __name__ == "__main__":
    main()
