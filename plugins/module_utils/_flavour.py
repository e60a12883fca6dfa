# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A cluster's flavour (vanilla Kubernetes or OpenShift): detected from the API groups it serves,
overridable in the inventory only where detection cannot tell, and what the flavour means for the
roles (namespace labels, how endpoints are exposed, which pod security rules the workloads meet).

Pure functions: the k8s_cluster_version module gathers the evidence, the cluster_flavour filter
turns it into the per-cluster fact the roles read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # noqa

KUBERNETES = "kubernetes"
OPENSHIFT = "openshift"
FLAVOURS = (KUBERNETES, OPENSHIFT)

# What the evidence is read from (k8s_cluster_version): the Route API and the cluster-version operator's object.
ROUTE_API = "/apis/route.openshift.io/v1"
CONFIG_API = "/apis/config.openshift.io/v1"
CLUSTER_VERSION = CONFIG_API + "/clusterversions/version"
CLUSTER_INGRESS = CONFIG_API + "/ingresses/cluster"

# OpenShift's label syncer rewrites the Pod Security labels of namespaces unless they opt out.
OPENSHIFT_NAMESPACE_LABELS = {"security.openshift.io/scc.podSecurityLabelSync": "false"}

DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")


def evidence(route_api, config_resources, cluster_version=None, ingress=None):
    """What the API server showed: ``route_api`` (served or not), ``config_resources`` (the resource names of
    config.openshift.io/v1, empty when the group is not served), the ClusterVersion and cluster Ingress objects
    when readable (None otherwise)."""
    desired = ((cluster_version or {}).get("status") or {}).get("desired") or {}
    history = ((cluster_version or {}).get("status") or {}).get("history") or []
    version = desired.get("version") or next((h.get("version") for h in history if h.get("state") == "Completed"), None)
    return {
        "route_api": bool(route_api),
        "cluster_version_api": "clusterversions" in (config_resources or []),
        "openshift_version": version,
        "ingress_domain": ((ingress or {}).get("spec") or {}).get("domain") or None,
    }


def detect(seen):
    """(flavour or None when the evidence disagrees, the reason in words)."""
    route, version = seen.get("route_api"), seen.get("cluster_version_api")
    if route and version:
        return OPENSHIFT, "serves route.openshift.io/v1 and config.openshift.io/v1 ClusterVersion"
    if not route and not version:
        return KUBERNETES, "serves neither route.openshift.io/v1 nor config.openshift.io/v1 ClusterVersion"
    return None, ("serves %s but not %s" % (("route.openshift.io/v1", "config.openshift.io/v1 ClusterVersion")
                                            if route else ("config.openshift.io/v1 ClusterVersion", "route.openshift.io/v1")))


def resolve(name, declared, seen):
    """The cluster's flavour fact, or raise ValueError naming the field and the fix.

    Detection decides; the inventory's ``clusters.<name>.flavour`` decides only where detection cannot
    (one of the two API groups without the other), and contradicting a clear detection is an error.
    """
    if declared not in (None, "") + FLAVOURS:
        raise ValueError("clusters.%s.flavour: %r; use %s, or leave it out to detect it"
                         % (name, declared, " or ".join(FLAVOURS)))
    detected, reason = detect(seen)
    if detected is None and not declared:
        raise ValueError("cluster %s %s, so its flavour cannot be detected (an OpenShift install in progress, or "
                         "the OpenShift CRDs installed on plain Kubernetes?): set clusters.%s.flavour to %s"
                         % (name, reason, name, " or ".join(FLAVOURS)))
    if detected is not None and declared and declared != detected:
        raise ValueError("clusters.%s.flavour: %s, but the cluster %s, so it is %s: remove the override or point "
                         "the inventory at the right cluster" % (name, declared, reason, detected))
    flavour = detected or declared
    return for_flavour(flavour, seen, "detected: %s" % reason if detected else "inventory: clusters.%s.flavour" % name)


def for_flavour(flavour, seen=None, source="inventory"):
    """Everything the roles need to know about a flavour, derived here once."""
    seen = seen or {}
    openshift = flavour == OPENSHIFT
    return {
        "name": flavour,
        "source": source,
        "openshift_version": seen.get("openshift_version") if openshift else None,
        "ingress_domain": seen.get("ingress_domain") if openshift else None,
        # Extra labels of every namespace the collection manages.
        "namespace_labels": dict(OPENSHIFT_NAMESPACE_LABELS) if openshift else {},
        # How an endpoint is published: a Route (the router's edge) or an Ingress.
        "endpoint_kind": "Route" if openshift else "Ingress",
        # restricted-v2 assigns the UID and fsGroup from the namespace's range: a workload must not pin them.
        "pinned_ids_allowed": not openshift,
        # Operators: OLM's catalogue where OLM runs, Helm charts and manifests elsewhere.
        "operator_source": "olm" if openshift else "helm",
        # The prefix of OIDC groups in RBAC subjects: the API server's (--authentication-config, "oidc:"), or
        # none where OpenShift's OAuth server syncs the identity provider's groups as they are.
        "group_prefix": "" if openshift else "oidc:",
        # Where the ingress router and cluster DNS run (the environments' NetworkPolicies allow them).
        "ingress_namespace": "openshift-ingress" if openshift else "ingress-nginx",
        "dns_namespace": "openshift-dns" if openshift else "kube-system",
        "dns_pod_labels": {"dns.operator.openshift.io/daemonset-dns": "default"} if openshift else {"k8s-app": "kube-dns"},
    }


def https_host(url):
    """The host of an https URL as written (case kept, no port), or "" when ``url`` is not an https URL with a host.
    One parser for every endpoint URL the plans take apart (Argo CD's, the Routes')."""
    if not isinstance(url, str):
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # pylint: disable=pointless-statement  # a malformed port raises here
    except ValueError:
        return ""
    if parts.scheme != "https" or not parts.netloc:
        return ""
    return parts.netloc.rsplit("@", 1)[-1].split(":", 1)[0]


def route_host(name, base_domain, ingress_domain, host=None):
    """The host of the Route of endpoint ``name``: ``host`` as given (inside the base domain when there is one),
    else ``<name>.<base_domain or the cluster's ingress domain>``. Raises ValueError naming the field."""
    domain = (base_domain or ingress_domain or "").lower()
    if host:
        host = host.lower()
        if not DNS_NAME.match(host):
            raise ValueError("%s: route host %r is not a DNS name" % (name, host))
        if domain and host != domain and not host.endswith("." + domain):
            raise ValueError("%s: route host %s is outside the base domain %s; use a name under %s or change the "
                             "base domain" % (name, host, domain, domain))
        return host
    if not domain:
        raise ValueError("%s: no route host: the cluster's ingresses.config.openshift.io 'cluster' has no domain and "
                         "no base domain is set; set the base domain or the endpoint's host" % name)
    generated = "%s.%s" % (name, domain)
    if not DNS_NAME.match(generated):
        raise ValueError("%s: route host %r is not a DNS name" % (name, generated))
    return generated


def route(name, namespace, host, service, port, termination="edge", ca_pem=None, destination_ca_pem=None,
          labels=None):
    """A route.openshift.io/v1 Route, as the API takes it (termination in lower case)."""
    if termination not in ("edge", "reencrypt", "passthrough"):
        raise ValueError("%s: route termination %r; use edge, reencrypt or passthrough" % (name, termination))
    tls = {"termination": termination, "insecureEdgeTerminationPolicy": "Redirect"}
    if termination == "passthrough":
        tls["insecureEdgeTerminationPolicy"] = "None"
    if ca_pem and termination in ("edge", "reencrypt"):
        tls["caCertificate"] = ca_pem
    if termination == "reencrypt" and destination_ca_pem:
        tls["destinationCACertificate"] = destination_ca_pem
    return {
        "apiVersion": "route.openshift.io/v1", "kind": "Route",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": {"host": host, "to": {"kind": "Service", "name": service, "weight": 100},
                 "port": {"targetPort": port}, "tls": tls, "wildcardPolicy": "None"},
    }


def pinned_ids(obj):
    """Where a Pod template of ``obj`` (a Pod, a workload or a CronJob) pins a UID, GID or fsGroup: a list of
    'container <name>: runAsUser 999'-style findings, empty when restricted-v2 may assign them."""
    spec = pod_spec(obj)
    if spec is None:
        return []
    found = []
    for field in ("runAsUser", "runAsGroup", "fsGroup"):
        if (spec.get("securityContext") or {}).get(field) is not None:
            found.append("spec.securityContext.%s %s" % (field, spec["securityContext"][field]))
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            for field in ("runAsUser", "runAsGroup"):
                value = (container.get("securityContext") or {}).get(field)
                if value is not None:
                    found.append("container %s: %s %s" % (container.get("name"), field, value))
    return found


def pod_spec(obj):
    """The pod spec inside ``obj``, or None when it holds none."""
    kind = (obj or {}).get("kind")
    spec = (obj or {}).get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return (spec.get("template") or {}).get("spec")
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    return None


def without_pinned_ids(obj):
    """A copy of ``obj`` whose Pod template pins no UID, GID or fsGroup (restricted-v2 assigns them from the
    namespace's range); runAsNonRoot stays. Objects without a Pod template are returned as they are."""
    import copy

    spec = pod_spec(obj)
    if spec is None or not pinned_ids(obj):
        return obj
    obj = copy.deepcopy(obj)
    spec = pod_spec(obj)
    context = spec.get("securityContext")
    if context:
        for field in ("runAsUser", "runAsGroup", "fsGroup"):
            context.pop(field, None)
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            context = container.get("securityContext")
            if context:
                for field in ("runAsUser", "runAsGroup"):
                    context.pop(field, None)
    return obj


def openid_identity_provider(name, issuer, client_id, secret_name, ca_configmap=None, mapping_method="claim"):
    """An OpenShift OAuth ``OpenID`` identity provider: the client secret and the CA referenced by name (Secret and
    ConfigMap in openshift-config), never inlined; claims for the user name, e-mail and groups."""
    openid = {"clientID": client_id, "clientSecret": {"name": secret_name}, "issuer": issuer,
              "claims": {"preferredUsername": ["preferred_username"], "name": ["name"], "email": ["email"],
                         "groups": ["groups"]},
              "extraScopes": ["profile", "email"]}
    if ca_configmap:
        openid["ca"] = {"name": ca_configmap}
    return {"name": name, "mappingMethod": mapping_method, "type": "OpenID", "openID": openid}


def with_identity_provider(providers, idp):
    """``providers`` (an OAuth's atomic identityProviders list) with ``idp`` in place of the one of its name, or
    appended; every other provider kept as it is, in order."""
    result, found = [], False
    for provider in providers or []:
        if provider.get("name") == idp["name"]:
            result.append(idp)
            found = True
        else:
            result.append(provider)
    if not found:
        result.append(idp)
    return result


# Direct external OIDC (authentications.config.openshift.io 'cluster', type OIDC): the API server verifies the
# realm's tokens itself and the OAuth server is gone. The console signs people in as this client.
CONSOLE_CLIENT = {"componentName": "console", "componentNamespace": "openshift-console"}


def external_oidc_provider(name, issuer, client_id, secret_name, ca_configmap=None, clients_in_status=()):
    """An ``oidcProviders`` entry of the Authentication object: the realm's issuer with the client as audience, the
    CA referenced by its ConfigMap (key ca-bundle.crt), user names as the preferred_username claim without a prefix
    and groups as the groups claim with an explicit empty prefix (the names the baseline's RoleBindings bind); the
    console as an OIDC client with the secret referenced, when the cluster lists it (status.oidcClients, which
    the API requires of every client named)."""
    issuer_spec = {"issuerURL": issuer, "audiences": [client_id]}
    if ca_configmap:
        issuer_spec["issuerCertificateAuthority"] = {"name": ca_configmap}
    provider = {"name": name, "issuer": issuer_spec,
                "claimMappings": {"username": {"claim": "preferred_username", "prefixPolicy": "NoPrefix"},
                                  "groups": {"claim": "groups", "prefix": ""}}}
    known = [(c.get("componentNamespace"), c.get("componentName")) for c in clients_in_status or ()]
    if (CONSOLE_CLIENT["componentNamespace"], CONSOLE_CLIENT["componentName"]) in known:
        provider["oidcClients"] = [dict(CONSOLE_CLIENT, clientID=client_id, clientSecret={"name": secret_name})]
    return provider


def with_external_oidc(spec, provider):
    """(spec fields to write, error): the Authentication spec's ``type`` and ``oidcProviders`` with ``provider`` as
    the one provider (the API takes one). Another provider of another name is not replaced: error naming it."""
    others = [p.get("name") for p in (spec or {}).get("oidcProviders") or [] if p.get("name") != provider["name"]]
    if others:
        return None, ("it already has the OIDC provider %s (the API takes one); remove it or give this one that "
                      "name" % ", ".join(others))
    if (spec or {}).get("webhookTokenAuthenticator"):
        return None, "it has a webhookTokenAuthenticator, which type OIDC does not allow; remove it first"
    return {"type": "OIDC", "oidcProviders": [provider]}, None
