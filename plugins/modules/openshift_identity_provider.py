#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openshift_identity_provider
short_description: Make an OIDC issuer (the Keycloak realm) an OpenID identity provider of OpenShift's OAuth server
version_added: 0.6.0
description:
  - Sets one entry of the C(OAuth) object C(cluster) (C(config.openshift.io/v1)) C(spec.identityProviders) - type
    C(OpenID), the issuer, the client ID, the client secret referenced by the name of a Secret in
    C(openshift-config) (key C(clientSecret); never inlined), the issuer's CA referenced by a ConfigMap there (key
    C(ca.crt), written by this module from I(ca_pem)), claims for the user name, e-mail and groups.
  - Every other identity provider stays as it is, in its place (the list is replaced as a whole by the API, so it
    is read, changed and written back with the object's resourceVersion; a concurrent change is read again).
  - With I(method=external_oidc) (OpenShift 4.19 and later with direct external OIDC), sets the C(Authentication)
    object C(cluster) instead - C(type) C(OIDC) and the one C(oidcProviders) entry - the issuer with the client as
    audience and the CA ConfigMap (key C(ca-bundle.crt)), user names from C(preferred_username) and groups from
    C(groups), both without a prefix, and the console as an OIDC client with the Secret referenced when the
    cluster lists the console in C(status.oidcClients). The API server then verifies the realm's tokens itself; the
    OAuth server and its identity providers are no longer used. Another OIDC provider already there is not replaced.
  - Check mode and diff are truthful; C(changed) only when the ConfigMap or the entry changed.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  name:
    description: The identity provider's name (it is part of the OAuth callback URL C(/oauth2callback/<name>)).
    type: str
    default: keycloak
  issuer:
    description: The OIDC issuer URL (the realm's).
    type: str
    required: true
  client_id:
    description: The client of the OAuth server in the realm.
    type: str
    required: true
  client_secret_name:
    description: The Secret in C(openshift-config) holding the client secret under C(clientSecret).
    type: str
    required: true
  ca_pem:
    description: The issuer's CA certificate(s), PEM; omit when a public CA signs the issuer.
    type: str
  ca_configmap:
    description: The ConfigMap in C(openshift-config) that gets I(ca_pem) under C(ca.crt).
    type: str
    default: krci-keycloak-ca
  method:
    description:
      - C(oauth) - an C(OpenID) identity provider of the OAuth server (every OpenShift release).
      - C(external_oidc) - the cluster's direct external OIDC provider (C(Authentication) type C(OIDC)).
    type: str
    default: oauth
    choices: [oauth, external_oidc]
  mapping_method:
    description: How identities map to users (C(claim), C(lookup), C(generate), C(add)); I(method=oauth) only.
    type: str
    default: claim
    choices: [claim, lookup, generate, add]
attributes:
  check_mode:
    description: Reports the change and its diff; writes nothing.
    support: full
  diff_mode:
    description: The identity providers (and the CA ConfigMap) before and after.
    support: full
"""

EXAMPLES = r"""
- name: The platform realm as this cluster's identity provider
  krci.platform.openshift_identity_provider:
    kubeconfig: /etc/krci/production.kubeconfig
    issuer: https://sso.krci.example.com/realms/krci
    client_id: openshift-production
    client_secret_name: keycloak-oidc-client
    ca_pem: "{{ lookup('ansible.builtin.file', '/etc/krci/keycloak-ca.crt') }}"

- name: The platform realm as this cluster's direct external OIDC provider (no OAuth server)
  krci.platform.openshift_identity_provider:
    method: external_oidc
    issuer: https://sso.krci.example.com/realms/krci
    client_id: openshift-production
    client_secret_name: keycloak-oidc-client
    ca_pem: "{{ lookup('ansible.builtin.file', '/etc/krci/keycloak-ca.crt') }}"
"""

RETURN = r"""
identity_providers:
  description: The names of the OAuth object's identity providers (external_oidc - the Authentication object's OIDC
    providers) after the run, in order.
  returned: always
  type: list
  elements: str
  sample: [htpasswd, keycloak]
api_url:
  description: The API server.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _flavour, _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params

NAMESPACE = "openshift-config"
ATTEMPTS = 5


def main(module_class=AnsibleModule):
    argument_spec = dict(KUBE_CONNECTION_SPEC,
                         name=dict(type="str", default="keycloak"),
                         issuer=dict(type="str", required=True),
                         client_id=dict(type="str", required=True),
                         client_secret_name=dict(type="str", required=True),
                         ca_pem=dict(type="str"),
                         ca_configmap=dict(type="str", default="krci-keycloak-ca"),
                         method=dict(type="str", default="oauth", choices=["oauth", "external_oidc"]),
                         mapping_method=dict(type="str", default="claim", choices=["claim", "lookup", "generate", "add"]))
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    params = module.params
    if not params["issuer"].startswith("https://"):
        module.fail_json(msg="issuer: %r is not an https URL; OpenShift's OAuth server takes only https issuers"
                         % params["issuer"])
    external = params["method"] == "external_oidc"
    kind = "Authentication" if external else "OAuth"
    result = dict(changed=False, identity_providers=[], api_url="")
    diffs = []
    try:
        client = client_from_params(module)
        result["api_url"] = client.api_url
        if not client.serves("config.openshift.io/v1", kind):
            module.fail_json(msg="%s cluster on %s: config.openshift.io/v1 %s is not served; this cluster is not "
                                 "OpenShift (its flavour says which)" % (kind, client.api_url, kind), **result)
        if params["ca_pem"]:
            config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": params["ca_configmap"], "namespace": NAMESPACE,
                                       "labels": {"app.kubernetes.io/managed-by": "krci.platform"}},
                          # The key each reader takes: the OAuth server ca.crt, the API server ca-bundle.crt.
                          "data": {"ca-bundle.crt" if external else "ca.crt": params["ca_pem"]}}
            changed, _objects, ca_diffs = _kube.apply_all(client, [config_map], "krci-platform-keycloak", False,
                                                          module.check_mode, dump=_kube.dump_yaml)
            result["changed"] = changed
            diffs.extend(ca_diffs)
        update = _external_oidc if external else _oauth_identity_provider
        resource = client.resource("config.openshift.io/v1", kind)
        for attempt in range(ATTEMPTS):
            live = client.get(resource, "cluster", None)
            if live is None:
                module.fail_json(msg="%s cluster on %s: the object does not exist; an OpenShift installer creates it "
                                     "(is the cluster still installing?)" % (kind, client.api_url), **result)
            before, after, names = update(module, live, result)
            result["identity_providers"] = names
            if after == before:
                break
            result["changed"] = True
            diffs.append({"before_header": "%s cluster" % kind, "after_header": "%s cluster" % kind,
                          "before": _kube.dump_yaml(before), "after": _kube.dump_yaml(after)})
            if module.check_mode:
                break
            try:
                client.merge_patch(resource, "cluster", None, {
                    "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]}, "spec": after})
                break
            except _kube.ApiError as exc:
                # Someone else changed the object since it was read: read it again.
                if exc.status != 409 or attempt == ATTEMPTS - 1:
                    raise
                diffs.pop()
    except _kube.ApiError as exc:
        module.fail_json(msg="%s cluster on %s: %s %s; check the kubeconfig user's rights on %ss.config.openshift.io"
                         % (kind, result["api_url"], exc.status, exc.reason, kind.lower()), **result)
    except _kube.KubeError as exc:
        module.fail_json(msg="%s cluster: %s" % (kind, exc), **result)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


def _oauth_identity_provider(module, live, _result):
    """(before, after, names) of the OAuth object's identityProviders with the realm's entry in its place."""
    params = module.params
    idp = _flavour.openid_identity_provider(params["name"], params["issuer"], params["client_id"],
                                            params["client_secret_name"],
                                            params["ca_configmap"] if params["ca_pem"] else None,
                                            params["mapping_method"])
    before = (live.get("spec") or {}).get("identityProviders") or []
    after = _flavour.with_identity_provider(before, idp)
    return {"identityProviders": before}, {"identityProviders": after}, [p.get("name") for p in after]


def _external_oidc(module, live, result):
    """(before, after, names) of the Authentication object's type and oidcProviders with the realm as the one."""
    params = module.params
    spec = live.get("spec") or {}
    provider = _flavour.external_oidc_provider(params["name"], params["issuer"], params["client_id"],
                                               params["client_secret_name"],
                                               params["ca_configmap"] if params["ca_pem"] else None,
                                               (live.get("status") or {}).get("oidcClients") or [])
    after, error = _flavour.with_external_oidc(spec, provider)
    if error:
        module.fail_json(msg="Authentication cluster on %s: %s" % (result["api_url"], error), **result)
    before = {"type": spec.get("type", ""), "oidcProviders": spec.get("oidcProviders") or []}
    return before, after, [p["name"] for p in after["oidcProviders"]]


if __name__ == "__main__":
    main()
