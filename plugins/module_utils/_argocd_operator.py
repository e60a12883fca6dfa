# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Argo CD through the OpenShift GitOps operator: how each instance is installed, and its ``ArgoCD`` resource.

For internal collection use only.

On an OpenShift cluster an Argo CD instance is, by default, an ``ArgoCD`` resource (argoproj.io/v1beta1) that
the GitOps operator (installed by an OLM Subscription at a pinned CSV) reconciles. The resource carries what the
argocd role writes into argocd-cm and argocd-rbac-cm on plain Kubernetes, because the operator owns those two
ConfigMaps and would overwrite them: SSO through the realm (no Dex; the built-in admin off), the access table's
policy with an empty default, the resource exclusions, the server's URL and its reencrypt Route. The instance is
namespace-scoped: the operator grants it rights only in the namespaces labelled ``argocd.argoproj.io/managed-by``
with its namespace, which are the in-cluster destinations of its projects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.krci.platform.plugins.module_utils import _operators
from ansible_collections.krci.platform.plugins.module_utils._flavour import https_host

INSTALLS = ("auto", "operator", "manifest")
OPERATOR = "operator"
MANIFEST = "manifest"
# The name of the ArgoCD resource: the operator names what it creates after it (argocd-server, argocd-repo-server,
# argocd-application-controller, ...: the names of upstream's manifest), and its ServiceAccounts <name>-argocd-*.
RESOURCE_NAME = "argocd"
MANAGED_BY = "argocd.argoproj.io/managed-by"
# The OpenShift GitOps operator the collection pins (argocd_olm overrides any key). Installed in its own namespace,
# watching all namespaces; its default instance (openshift-gitops) is switched off: the platform's are declared.
DEFAULT_OLM = {
    "package": "openshift-gitops-operator",
    "channel": "gitops-1.20",
    "channels": ["latest", "gitops-1.20"],
    "csv": "openshift-gitops-operator.v1.20.0",
    "namespace": "openshift-gitops-operator",
    "config": {"env": [{"name": "DISABLE_DEFAULT_ARGOCD_INSTANCE", "value": "true"}]},
}


def install_plan(instances, flavours, requested, olm, field="argocd_install"):
    """({cluster: {method, subscription, operator_group, csv, package}}, errors) for each cluster holding an
    instance. ``requested`` maps a cluster to auto, operator or manifest (auto: the operator on OpenShift);
    ``olm`` overrides keys of the GitOps operator's OLM settings (``argocd_olm`` over DEFAULT_OLM), checked when some
    instance needs them."""
    errors, result = [], {}
    requested = requested or {}
    if not isinstance(requested, dict):
        return {}, ["%s: %r must be auto, operator or manifest" % (field, requested)]
    subscription, olm_errors = None, []
    for cluster in sorted(instances):
        method = requested.get(cluster) or "auto"
        flavour = (flavours or {}).get(cluster) or {}
        openshift = flavour.get("name") == "openshift"
        if method not in INSTALLS:
            errors.append("cluster %s: %s %r is not one of %s" % (cluster, field, method, ", ".join(INSTALLS)))
            continue
        if method == OPERATOR and not openshift:
            errors.append("cluster %s: %s operator, but the cluster is %s (no OLM, no GitOps operator); use auto or "
                          "manifest" % (cluster, field, flavour.get("name") or "not known to be OpenShift"))
            continue
        if method == MANIFEST or not openshift:
            result[cluster] = {"method": MANIFEST}
            continue
        if subscription is None:
            if olm is not None and not isinstance(olm, dict):
                errors.append("argocd_olm: %r must be a mapping of %s" % (olm, ", ".join(_operators.OLM_KEYS)))
                continue
            settings, olm_errors = _operators.olm_settings(dict(DEFAULT_OLM, **(olm or {})), "argocd_olm", "argocd")
            if not olm_errors:
                subscription = _operators.subscriptions([{"name": "argocd", "method": "olm", "olm": settings}])[0]
            errors.extend(olm_errors)
        if subscription is not None:
            result[cluster] = {"method": OPERATOR, "package": subscription["package"], "csv": subscription["csv"],
                               "subscription": subscription["subscription"],
                               "operator_group": subscription["operator_group"]}
    return result, errors


def oidc_config(issuer, client_id, secret_name, ca_pem=None):
    """Argo CD's oidc.config (YAML text; JSON is YAML): the client secret referenced, PKCE on, the issuer's CA."""
    config = {"name": "Keycloak", "issuer": issuer, "clientID": client_id,
              "clientSecret": "$%s:clientSecret" % secret_name,
              "requestedScopes": ["openid", "profile", "email", "groups"], "enablePKCEAuthentication": True}
    if ca_pem:
        config["rootCA"] = ca_pem.rstrip("\n") + "\n"
    return json.dumps(config, sort_keys=True, indent=2)


def argocd_resource(namespace, url, policy, resource_exclusions, issuer=None, client_id=None, secret_name=None,
                    ca_pem=None, route_tls=None, labels=None, name=RESOURCE_NAME):
    """The ArgoCD resource of one instance: SSO through the realm (no Dex, the built-in admin off when SSO is on),
    the access table's policy with an empty default, the resource exclusions (a list, as argocd_resource_exclusions),
    the server at the URL's host behind a reencrypt Route (``route_tls``: certificate, key, caCertificate to give
    the router; empty: the router's own)."""
    if not isinstance(resource_exclusions, str):
        resource_exclusions = json.dumps(resource_exclusions or [], sort_keys=True, indent=2)
    tls = {"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect"}
    tls.update(dict((k, v) for k, v in (route_tls or {}).items() if k in ("certificate", "key", "caCertificate") and v))
    spec = {
        "rbac": {"defaultPolicy": "", "policy": "".join(line + "\n" for line in policy or []), "scopes": "[groups]"},
        "resourceExclusions": resource_exclusions,
        "applicationInstanceLabelKey": "argocd.argoproj.io/instance",
        "server": {"host": https_host(url),
                   "route": {"enabled": True, "tls": tls}},
        "extraConfig": {"url": url},
        "disableAdmin": bool(issuer),
    }
    if issuer:
        spec["oidcConfig"] = oidc_config(issuer, client_id, secret_name, ca_pem)
    return {"apiVersion": "argoproj.io/v1beta1", "kind": "ArgoCD",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})}, "spec": spec}


def managed_namespaces(namespace, names, labels=None):
    """The in-cluster destinations of an operator-managed instance, labelled so the operator grants it rights there."""
    return [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": name, "labels": dict(labels or {}, **{MANAGED_BY: namespace})}}
            for name in sorted(set(names))]
