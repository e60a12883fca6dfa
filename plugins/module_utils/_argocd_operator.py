# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""WORK IN PROGRESS (issue 17, not wired into any role yet): one Argo CD instance as the OpenShift GitOps
operator's ``ArgoCD`` resource (argoproj.io/v1beta1), carrying what the argocd role writes into argocd-cm and
argocd-rbac-cm on plain Kubernetes - the operator owns those ConfigMaps and would overwrite them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


def oidc_config(issuer, client_id, secret_name, ca_pem=None):
    """Argo CD's oidc.config (YAML text; JSON is YAML): the client secret referenced, PKCE on, the issuer's CA."""
    config = {"name": "Keycloak", "issuer": issuer, "clientID": client_id,
              "clientSecret": "$%s:clientSecret" % secret_name,
              "requestedScopes": ["openid", "profile", "email", "groups"], "enablePKCEAuthentication": True}
    if ca_pem:
        config["rootCA"] = ca_pem.rstrip("\n") + "\n"
    return json.dumps(config, sort_keys=True, indent=2)


def argocd_resource(name, namespace, url, policy, resource_exclusions, issuer=None, client_id=None,
                    secret_name=None, ca_pem=None, labels=None):
    """The ArgoCD resource of one instance: SSO through the realm (no Dex, the built-in admin off when SSO is on),
    the access table's policy with an empty default, the resource exclusions, the server behind a reencrypt Route."""
    spec = {
        "rbac": {"defaultPolicy": "", "policy": "\n".join(policy) + ("\n" if policy else ""), "scopes": "[groups]"},
        "resourceExclusions": resource_exclusions,
        "applicationInstanceLabelKey": "argocd.argoproj.io/instance",
        "server": {"host": url.split("://", 1)[-1].rstrip("/"),
                   "route": {"enabled": True, "tls": {"termination": "reencrypt",
                                                      "insecureEdgeTerminationPolicy": "Redirect"}}},
        "extraConfig": {"url": url},
    }
    if issuer:
        spec["oidcConfig"] = oidc_config(issuer, client_id, secret_name, ca_pem)
        spec["disableAdmin"] = True
    return {"apiVersion": "argoproj.io/v1beta1", "kind": "ArgoCD",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})}, "spec": spec}
