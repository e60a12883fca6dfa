# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec shared by the Vault modules (doc fragment: vault_connection). For internal collection use only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback
from ansible_collections.krci.platform.plugins.module_utils._retry import warn_on_retry
from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultClient

VAULT_CONNECTION_SPEC = dict(
    url=dict(type="str", required=True, fallback=(env_fallback, ["VAULT_ADDR", "BAO_ADDR"])),
    ca_cert=dict(type="path", aliases=["cacert"], fallback=(env_fallback, ["VAULT_CACERT", "BAO_CACERT"])),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=30),
)

# key_destination of vault_init, key_source of vault_unseal, credentials_from of vault_config.
KEY_STORE_OPTIONS = dict(
    type=dict(type="str", default="file", choices=["file", "kubernetes", "aws_secrets_manager"]),
    path=dict(type="path"),
    kubeconfig=dict(type="path"),
    context=dict(type="str"),
    namespace=dict(type="str", default="vault-keys"),
    name=dict(type="str", default="vault-init"),
    secret_name=dict(type="str", no_log=False),
    region=dict(type="str"),
    endpoint_url=dict(type="str"),
    profile=dict(type="str"),
    kms_key_id=dict(type="str", no_log=False),
)

# credential_destination of vault_init and vault_admin_credential: apart from the key shares.
CREDENTIAL_STORE_OPTIONS = dict(KEY_STORE_OPTIONS, namespace=dict(type="str", default="vault-admin"),
                                name=dict(type="str", default="vault-admin-credential"))


def client_from_params(module):
    """The Vault client of a module's connection options (url, ca_cert, validate_certs, timeout)."""
    params = module.params
    verify = (params["ca_cert"] or True) if params["validate_certs"] else False
    return VaultClient(params["url"], verify=verify, timeout=params["timeout"],
                       on_retry=warn_on_retry(module.warn))


def log_in(module, client):
    """Give ``client`` the module's token, or log in with the admin AppRole of its ``credentials_from`` store (the
    token is then masked in the module's output)."""
    from ansible_collections.krci.platform.plugins.module_utils import _vault_keys, _vault_lifecycle  # pylint: disable=import-outside-toplevel

    if module.params["token"]:
        client.token = module.params["token"]
    else:
        client.token = _vault_lifecycle.token_from_store(client, _vault_keys.key_store(module.params["credentials_from"]))
        module.no_log_values.add(client.token)
