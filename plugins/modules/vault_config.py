#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_config
short_description: Declare Vault or OpenBao mounts, auth methods, policies and auth roles in one call
version_added: 0.1.0
description:
  - Secrets engines (for example KV v2 per environment), auth methods, ACL policies, and the
    config and roles of auth mounts (Kubernetes auth per cluster, JWT/OIDC against Keycloak).
  - Reads, compares the keys given, writes only the difference; a converged server receives no
    write and C(changed=false). Check mode writes nothing; diff shows a before/after per object.
  - Unmanaged mounts and policies are left alone; O(prune) names, one by one, what may be removed.
  - Write-only values (C(token_reviewer_jwt), C(oidc_client_secret)) cannot be read back; they are
    written when the object is created or when another key of it changes, and are masked.
  - Validated before any write, each problem naming the field, nothing changed on error. Checked are mount types
    (built-in types of Vault and OpenBao, or O(plugin_types)), policies (parsed by the server under a
    scratch name that is deleted at once, so its own message is shown), auth configs whose mount is
    neither given nor enabled.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.credentials
options:
  token:
    description:
      - A token allowed to configure the server. Defaults to E(VAULT_TOKEN), then E(BAO_TOKEN).
      - One of O(token) and O(credentials_from) is required.
    type: str
  audit_devices:
    description:
      - Path to C(type), C(options) (and C(description), C(local)). Missing devices are enabled;
        a device with other settings is an error (they cannot change in place).
      - OpenBao refuses audit devices through the API by default; declare them in its server
        configuration and list them here too, so the run checks they are there.
    type: dict
    default: {}
  plugin_types:
    description: Types of registered external plugins, accepted besides the built-in mount types.
    type: list
    elements: str
    default: []
  secrets_engines:
    description: Mount path to C(type), C(description) and C(options), for example C(options) C(version=2) for KV v2.
    type: dict
    default: {}
  auth_methods:
    description: Mount path to C(type) (C(kubernetes), C(jwt), C(oidc), C(approle)...) and C(description).
    type: dict
    default: {}
  policies:
    description: Policy name to its HCL text.
    type: dict
    default: {}
  auth_configs:
    description: Per auth mount, its C(config) and C(roles) (role name to parameters), as Vault's API takes them.
    type: list
    elements: dict
    default: []
  prune:
    description: What may be removed when absent from the input, as C(policy:NAME), C(secrets:PATH) or C(auth:PATH).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Reports what would change; writes nothing.
    support: full
  diff_mode:
    description: A before/after per changed object; write-only values masked.
    support: full
"""

EXAMPLES = r"""
- name: KV per environment, Kubernetes auth for the dev cluster
  krci.platform.vault_config:
    url: https://vault.example.com
    token: "{{ vault_admin_token }}"
    secrets_engines:
      kv-dev: {type: kv, options: {version: "2"}}
    auth_methods:
      kubernetes-dev: {type: kubernetes}
    policies:
      dev-read: 'path "kv-dev/data/*" { capabilities = ["read"] }'
    auth_configs:
      - mount: kubernetes-dev
        config:
          kubernetes_host: https://dev.k8s.example.com:6443
          kubernetes_ca_cert: "{{ dev_ca_pem }}"
          token_reviewer_jwt: "{{ dev_reviewer_token }}"
        roles:
          external-secrets:
            bound_service_account_names: [external-secrets]
            bound_service_account_namespaces: [external-secrets]
            token_policies: [dev-read]
  no_log: true
"""

RETURN = r"""
objects:
  description: Every object looked at, with its action (created, updated, deleted, unchanged).
  returned: always
  type: list
  elements: dict
summary:
  description: Number of objects per action.
  returned: always
  type: dict
requests:
  description: HTTP requests sent, per method.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC,
                                                                                client_from_params, log_in)
from ansible_collections.krci.platform.plugins.module_utils._vault_config import VaultConfigurator, WRITE_ONLY


def _dump(obj):
    import yaml  # pylint: disable=import-outside-toplevel

    return yaml.safe_dump(obj, default_flow_style=False, sort_keys=True)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["VAULT_TOKEN", "BAO_TOKEN"])),
        credentials_from=dict(type="dict", no_log=False, options=KEY_STORE_OPTIONS),
        audit_devices=dict(type="dict", default={}),
        plugin_types=dict(type="list", elements="str", default=[]),
        secrets_engines=dict(type="dict", default={}, no_log=False),
        auth_methods=dict(type="dict", default={}),
        policies=dict(type="dict", default={}),
        auth_configs=dict(type="list", elements="dict", default=[]),
        prune=dict(type="list", elements="str", default=[]),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True,
                          required_one_of=[("token", "credentials_from")])
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    errors = []
    known_auth = set(p.strip("/") for p in params["auth_methods"])
    for index, item in enumerate(params["auth_configs"]):
        if not item.get("mount"):
            errors.append("auth_configs[%d].mount is required" % index)
        for key in WRITE_ONLY:
            if (item.get("config") or {}).get(key):
                module.no_log_values.add(item["config"][key])
        unknown = sorted(set(item) - set(["mount", "config", "roles"]))
        if unknown:
            errors.append("auth_configs[%d]: unknown key(s) %s; use mount, config, roles" % (index, ", ".join(unknown)))
    if errors:
        module.fail_json(msg="invalid input, nothing changed: " + "; ".join(errors))
    client = client_from_params(module)
    configurator = VaultConfigurator(client, module.check_mode, _dump)
    try:
        if client.seal_status().get("sealed"):
            raise _vault_client.VaultError("%s is sealed; unseal it first (krci.platform.vault_unseal); nothing was written"
                                           % client.url)
        log_in(module, client)
        live_auth = client.call("GET", "sys/auth", "read auth methods")
        live_auth = set(k.strip("/") for k in live_auth.get("data", live_auth))
        missing = [i["mount"] for i in params["auth_configs"] if i["mount"].strip("/") not in known_auth | live_auth]
        if missing:
            raise _vault_client.VaultError("auth_configs: mount(s) %s are neither in auth_methods nor enabled; nothing was "
                                           "written" % ", ".join(missing))
        problems = configurator.preflight(params["secrets_engines"], params["auth_methods"], params["policies"],
                                          params["plugin_types"])
        if problems:
            raise _vault_client.VaultError("invalid input, nothing changed: " + "; ".join(problems))
        configurator.policies(params["policies"])
        configurator.secrets_engines(params["secrets_engines"])
        configurator.auth_methods(params["auth_methods"])
        configurator.audit_devices(params["audit_devices"])
        for item in params["auth_configs"]:
            configurator.auth_config(item["mount"], item.get("config"), item.get("roles"))
        configurator.prune(params["prune"], params["policies"], params["secrets_engines"], params["auth_methods"])
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc), objects=configurator.objects)
    changes = configurator.changes
    result = dict(changed=changes.changed, objects=changes.objects,
                  summary=changes.summary(("created", "updated", "deleted", "unchanged")), requests=client.requests_sent)
    if module._diff:
        result["diff"] = configurator.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
