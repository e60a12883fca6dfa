# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the platform is, derived once from the resolved topology: the plan every role applies.

For internal collection use only. Pure Python, no Ansible imports: the ``platform_plan`` filter,
the roles (through it) and the unit tests read the same derivation.

Per cluster: its environments and their namespaces, its GitOps model, the Argo CD instance that
runs in it and the one that deploys into it (with that instance's projects and destinations), its
Vault auth mount (Kubernetes for push clusters, JWT for pull clusters) and roles, the
ClusterSecretStores it gets, and the Keycloak clients whose secrets are written into it.
Platform-wide: the KV mounts, auth methods and GitOps instances of Vault, and the realm's Argo CD
clients. Every mapping is sorted; the same input always gives the same plan.

``plan()`` never raises on bad input: it returns ``errors``, each naming the setting (the role
variable) and the fix, and the roles stop before anything is written when the list is not empty.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.krci.platform.plugins.module_utils._topology import ENVIRONMENTS, PULL
from ansible_collections.krci.platform.plugins.module_utils import _promotion
from ansible_collections.krci.platform.plugins.module_utils import _argocd_operator
from ansible_collections.krci.platform.plugins.module_utils._flavour import DNS_NAME, https_host

IN_CLUSTER = "https://kubernetes.default.svc"
HUB = "hub"
# A namespace, a Secret or a label value: a DNS-1123 label.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MOUNT = re.compile(r"^[A-Za-z0-9][-_A-Za-z0-9]*$")
KEY_PATH = re.compile(r"^[A-Za-z0-9][-_./A-Za-z0-9]*$")
RELEASE_TAG = re.compile(r"^v\d+\.\d+\.\d+$")
GIT_URL = re.compile(r"^(https://|ssh://|git@)")
# A relative path inside a Git repository: segments of letters, digits, '.', '_' and '-', no '..'.
REPO_PATH = re.compile(r"^(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
REPO_CREDENTIALS_FROM = ("environment", "vault")

# Who may do what in each environment, for the Keycloak groups (administrators may do everything):
# edit, view or none. The one table both the clusters' RoleBindings (cluster_baseline) and the Argo CD
# instances' policies are derived from; production grants people nothing (it changes through Git only).
ACCESS = {
    "dev": {"developers": "edit", "viewers": "view"},
    "test": {"developers": "edit", "viewers": "view"},
    "uat": {"developers": "view", "viewers": "view"},
    "staging": {"developers": "view", "viewers": "view"},
    "production": {"developers": "none", "viewers": "none"},
}
ACCESS_LEVELS = ("edit", "view", "none")
AUDIENCES = ("developers", "viewers")
GROUPS = {"administrators": "krci-administrators", "developers": "krci-developers", "viewers": "krci-viewers"}

DEFAULTS = {
    # One prefix for every environment namespace: <prefix><environment>, for example krci-dev.
    "namespace_prefix": "krci-",
    # Argo CD
    "argocd_namespace": "argocd",
    "argocd_push_targets": None,          # None: every push target of the topology
    "argocd_extra_destinations": [],
    "argocd_version": None,               # checked when given
    "argocd_install_manifest": None,      # an https URL or a file on the controller; checked when given
    "argocd_repo_credentials_from": "environment",
    "argocd_repo_credentials_key": "repo-creds",
    "argocd_root_repo": "",
    "argocd_root_revision": "main",
    "argocd_git_url": "",                 # the repository credentials' URL (its host gets the Git CA too)
    "argocd_source_repos": [],
    # The GitOps repository's app-of-apps layout: the root Application of instance X reads
    # <argocd_root_path_prefix>/X (one Application per environment), and the Application of
    # environment E reads <argocd_environments_path>/E.
    "argocd_root_path_prefix": "argocd",
    "argocd_environments_path": "environments",
    # PEM of the CA that serves the HTTPS Git repositories (empty: system CAs).
    "argocd_git_ca_file": "",
    "access": None,                       # None: ACCESS
    "groups": None,                       # None: GROUPS
    # Vault
    "vault": False,                        # a Vault is configured by this inventory
    "vault_kubernetes_clusters": None,     # None: every cluster
    "vault_kv_mount_prefix": "kv-",
    "vault_gitops_mount": "kv-gitops",
    "vault_eso_namespace": "external-secrets",
    "vault_eso_service_account": "external-secrets",
    "vault_kubernetes_audience": "vault",
    "vault_kubernetes_token_ttl": 3600,
    "vault_oidc_issuer": "",
    "vault_cluster_secret_stores": True,
    # Keycloak: where each confidential client's secret is written (namespace per consumer).
    "keycloak_client_secret_namespaces": {"argocd": "argocd", "vault": "vault", "portal": "krci"},
    # Promotion: the applications (name, image repository, group = CDPipeline), the kinds of version
    # each environment accepts (over _promotion.DEFAULT_ACCEPTS), where KubeRocketCI's objects live.
    "applications": [],
    "promotion_accepts": {},
    "cd_pipelines_namespace": "krci",
    # The environments whose configuration may travel through Git as SealedSecrets: their clusters
    # run the Sealed Secrets controller (production keeps the external store).
    "sealed_secrets_environments": ["dev", "test"],
    # Each cluster's flavour fact (krci_flavour of the first play): OpenShift clusters log people in through their
    # OAuth server, which gets the realm as an OpenID identity provider of this name.
    "flavours": {},
    "openshift_idp_name": "keycloak",
    # How each cluster's Argo CD instance is installed (cluster -> auto | operator | manifest; auto: the OpenShift
    # GitOps operator's ArgoCD resource on OpenShift, upstream's manifest elsewhere), and the operator's OLM settings.
    "argocd_install": {},
    "argocd_olm": None,
}

# Where OpenShift's OAuth server reads an identity provider's client secret and CA.
OPENSHIFT_CONFIG = "openshift-config"


def _env_order(environments):
    return sorted(set(environments), key=ENVIRONMENTS.index)


def plan(topology, settings=None, file_exists=os.path.isfile):
    """The platform plan of a resolved topology (``krci_topology``) and the roles' settings."""
    settings = dict(DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None})
    clusters = {c["name"]: c for c in topology or []}
    names = sorted(clusters)
    errors = []
    prefix = settings["namespace_prefix"]
    environments = _env_order(e for c in clusters.values() for e in c.get("environments") or [])
    errors.extend(check_namespace_prefix(prefix, environments))

    platform = [n for n in names if clusters[n].get("role") == "platform"]
    hub_cluster = platform[0] if platform else None
    pulls = [n for n in names if clusters[n].get("gitops") == PULL]
    push_targets, target_errors = _push_targets(clusters, hub_cluster, pulls, settings["argocd_push_targets"])
    errors.extend(target_errors)
    extras, extra_errors = _extra_destinations(clusters, environments, hub_cluster, pulls, push_targets,
                                               settings["argocd_extra_destinations"])
    errors.extend(extra_errors)
    errors.extend(_check_argocd_inputs(settings, file_exists))
    access, access_errors = access_table(settings["access"])
    errors.extend(access_errors)
    groups = dict(GROUPS, **(settings["groups"] or {}))

    # The Argo CD instances: the hub on the platform cluster, a dedicated one in every pull cluster.
    instances = {}
    if hub_cluster:
        instances[hub_cluster] = HUB
    for name in pulls:
        instances[name] = name

    vault_clusters = settings["vault_kubernetes_clusters"]
    vault_clusters = names if vault_clusters is None else sorted(vault_clusters)
    unknown = [c for c in vault_clusters if c not in clusters]
    if unknown:
        errors.append("vault_kubernetes_clusters: %s not in the topology (clusters: %s)"
                      % (", ".join(unknown), ", ".join(names)))
    vault_clusters = [c for c in vault_clusters if c in clusters]
    vault, vault_errors = _vault(settings, environments, instances, clusters, vault_clusters, access)
    errors.extend(vault_errors)

    namespaces = settings["keycloak_client_secret_namespaces"]
    client_secrets = {name: [] for name in names}
    if hub_cluster:
        client_secrets[hub_cluster] = [
            _client_secret("argocd-hub", namespaces.get("argocd", "argocd"), {"app.kubernetes.io/part-of": "argocd"}),
            _client_secret("portal", namespaces.get("portal", "krci"), {}),
            _client_secret("vault", namespaces.get("vault", "vault"), {}),
        ]
    for name in pulls:
        client_secrets[name] = [_client_secret("argocd-" + name, namespaces.get("argocd", "argocd"),
                                               {"app.kubernetes.io/part-of": "argocd"})]

    argocd_urls, url_errors = _argocd_urls(sorted(instances.values()), settings)
    errors.extend(url_errors)
    installs, install_errors = _argocd_operator.install_plan(instances, settings["flavours"], settings["argocd_install"],
                                                             settings["argocd_olm"])
    errors.extend(install_errors)
    openshift_oauth, oauth_errors = _openshift_oauth(names, settings)
    errors.extend(oauth_errors)
    for name, oauth in openshift_oauth.items():
        client_secrets[name].append(_client_secret(oauth["client"], OPENSHIFT_CONFIG, {}))

    result_clusters = {}
    for name in names:
        cluster = clusters[name]
        envs = _env_order(cluster.get("environments") or [])
        deployed_by = name if name in pulls else HUB
        entry = {
            "role": cluster.get("role"),
            "gitops": cluster.get("gitops"),
            "environments": envs,
            "api_url": cluster.get("api_url"),
            "namespaces": dict((env, prefix + env) for env in envs),
            "argocd": {
                "instance": instances.get(name),
                "deployed_by": deployed_by if envs or name in instances else None,
                "push_target": name in push_targets,
                # In a push target: the namespaces the hub's ServiceAccount administers.
                "managed_namespaces": sorted(set([prefix + env for env in envs]
                                                 + [e["namespace"] for e in extras if e["cluster"] == name]))
                if name in push_targets else [],
                "extra_namespaces": sorted(set(e["namespace"] for e in extras if e["cluster"] == name)),
            },
            "vault": vault["clusters"].get(name),
            "secret_stores": vault["secret_stores"].get(name, []),
            "client_secrets": client_secrets[name],
            # OpenShift: the realm as an identity provider of the cluster's OAuth server (None elsewhere).
            "openshift_oauth": openshift_oauth.get(name),
        }
        if name in instances:
            entry["argocd"]["projects"] = _projects(name, name == hub_cluster, clusters, push_targets, extras, prefix)
            entry["argocd"]["policy"] = argocd_policy(access, [p["name"] for p in entry["argocd"]["projects"]], groups)
            entry["argocd"]["root_path"] = "%s/%s" % (settings["argocd_root_path_prefix"], instances[name])
            # How the instance is installed (manifest, or the GitOps operator's ArgoCD resource with its Subscription),
            # and the namespaces of its own cluster it deploys into (the operator grants rights only there).
            entry["argocd"]["install"] = installs.get(name) or {"method": _argocd_operator.MANIFEST}
            entry["argocd"]["in_cluster_namespaces"] = sorted(set(
                d["namespace"] for p in entry["argocd"]["projects"] for d in p["destinations"] if d["server"] == IN_CLUSTER))
            entry["argocd"]["applications"] = [
                {"name": project["name"], "project": project["name"],
                 "path": "%s/%s" % (settings["argocd_environments_path"], project["name"]),
                 "destination": dict(project["destinations"][0])}
                for project in entry["argocd"]["projects"]]
        sealed = [env for env in envs if env in (settings["sealed_secrets_environments"] or [])]
        entry["sealed_secrets"] = bool(sealed)
        entry["sealed_secrets_namespaces"] = [prefix + env for env in sealed]
        result_clusters[name] = entry

    errors.extend(_check_sealed_secrets(settings["sealed_secrets_environments"]))
    errors.extend(_promotion.check_applications(settings["applications"]))
    errors.extend(_promotion.check_accepts(settings["promotion_accepts"], environments))
    if not DNS_LABEL.match(settings["cd_pipelines_namespace"] or ""):
        errors.append("cd_pipelines_namespace: %r is not a namespace name (DNS-1123 label)"
                      % settings["cd_pipelines_namespace"])
    result = {
        "errors": errors,
        "namespace_prefix": prefix,
        "environments": environments,
        "hub_cluster": hub_cluster,
        "push_targets": push_targets,
        "pull_clusters": pulls,
        "access": access,
        "argocd": {
            "instances": instances,
            "clients": dict((instance, "argocd-" + instance) for instance in sorted(instances.values())),
            # Each instance's public URL: argocd_urls.<instance>, else https://argocd-<instance>.<base domain>.
            "urls": argocd_urls,
            "namespace": settings["argocd_namespace"],
            "root_repo": settings["argocd_root_repo"],
            "root_revision": settings["argocd_root_revision"],
            # The hosts of the HTTPS repositories: argocd-tls-certs-cm gives each the Git CA.
            "git_tls_hosts": git_tls_hosts(settings) if settings["argocd_git_ca_file"] else [],
        },
        "vault": {k: v for k, v in vault.items() if k not in ("clusters", "secret_stores")},
        "keycloak": {"openshift_clients": dict((name, oauth) for name, oauth in sorted(openshift_oauth.items()))},
        "clusters": result_clusters,
    }
    result["promotion"] = _promotion_plan(result, settings)
    return result


def _check_sealed_secrets(environments):
    if not isinstance(environments, list) or any(e not in ENVIRONMENTS for e in environments):
        return ["sealed_secrets_environments: %r must be a list of %s" % (environments, ", ".join(ENVIRONMENTS))]
    if "production" in environments:
        return ["sealed_secrets_environments: production keeps its secrets in the external store (seed 002); "
                "remove it"]
    return []


def _promotion_plan(result, settings):
    """The environments in promotion order, the applications and KubeRocketCI's CDPipelines and Stages."""
    apps = settings["applications"] if isinstance(settings["applications"], list) else []
    apps = [dict(a, group=a.get("group") or a.get("name")) for a in apps if isinstance(a, dict) and a.get("name")]
    accepts = settings["promotion_accepts"] if isinstance(settings["promotion_accepts"], dict) else {}
    envs = _promotion.environments(result, accepts)
    return {
        "environments": envs,
        "applications": dict((a["name"], {"image": a.get("image"), "group": a["group"]}) for a in apps),
        "namespace": settings["cd_pipelines_namespace"],
        "pipelines": _promotion.cd_pipelines(apps, envs, settings["cd_pipelines_namespace"], result["hub_cluster"]),
    }


def _argocd_urls(instances, settings):
    """({instance: public URL}, errors): argocd_urls.<instance> as given, else https://argocd-<instance>.<base
    domain>; each an https URL whose host is a DNS name (it becomes a redirect URI and, on OpenShift, a Route)."""
    given = settings.get("argocd_urls") or {}
    domain = settings.get("base_domain") or "example.com"
    urls, errors = {}, []
    if not isinstance(given, dict):
        return {}, ["argocd_urls: %r must map an instance ('hub' or a pull cluster's name) to its URL" % (given,)]
    for name in sorted(set(given) - set(instances)):
        errors.append("argocd_urls.%s: no Argo CD instance of that name (instances: %s)" % (name, ", ".join(instances)))
    for instance in instances:
        url = given.get(instance) or "https://argocd-%s.%s" % (instance, domain)
        host = https_host(url)
        if not DNS_NAME.match(host.lower()) or host != host.lower():
            errors.append("argocd_urls.%s: %r is not an https URL with a lower-case DNS name as host" % (instance, url))
        urls[instance] = url.rstrip("/") if isinstance(url, str) else url
    return urls, errors


OPENSHIFT_AUTHENTICATION = ("oauth", "external_oidc")


def _openshift_oauth(names, settings):
    """Per OpenShift cluster: how people log in through the realm (``method``: its OAuth server's OpenID identity
    provider, or direct external OIDC), its Keycloak client (``openshift-<cluster>``) and that client's callback
    URL (the OAuth server's, or the console's under external OIDC)."""
    flavours = settings.get("flavours") or {}
    methods = settings.get("openshift_authentication") or {}
    idp = settings.get("openshift_idp_name") or "keycloak"
    errors = []
    if not DNS_LABEL.match(idp):
        errors.append("openshift_idp_name: %r is not a DNS label (it is the identity provider's name in the "
                      "OAuth callback URL)" % idp)
    result = {}
    for name in names:
        flavour = flavours.get(name) or {}
        method = methods.get(name) or "oauth"
        if method not in OPENSHIFT_AUTHENTICATION:
            errors.append("cluster %s: openshift_authentication %r; use oauth (the OAuth server's identity provider) "
                          "or external_oidc (the API server verifies the realm's tokens, OpenShift 4.19 and later)"
                          % (name, method))
            continue
        if flavour.get("name") != "openshift":
            if method != "oauth":
                errors.append("cluster %s: openshift_authentication external_oidc, but the cluster is not OpenShift "
                              "(flavour %s); Kubernetes API servers take the realm through their OIDC flags"
                              % (name, flavour.get("name") or "unknown"))
            continue
        domain = flavour.get("ingress_domain")
        if not domain:
            errors.append("cluster %s is OpenShift but its ingresses.config.openshift.io 'cluster' has no domain (or "
                          "cannot be read): its OAuth server's callback URL is unknown; let the automation user "
                          "read it" % name)
            continue
        if method == "external_oidc":
            redirect, title = ("https://console-openshift-console.%s/auth/callback" % domain,
                               "OpenShift console and API server (%s cluster, external OIDC)" % name)
        else:
            redirect, title = ("https://oauth-openshift.%s/oauth2callback/%s" % (domain, idp),
                               "OpenShift OAuth server (%s cluster)" % name)
        result[name] = {"client": "openshift-" + name, "idp_name": idp, "method": method, "redirect_uri": redirect,
                        "title": title, "secret_namespace": OPENSHIFT_CONFIG}
    return result, errors


def _client_secret(client, namespace, labels):
    return {"client": client, "namespace": namespace, "labels": labels}


def check_namespace_prefix(prefix, environments, field="krci_namespace_prefix"):
    """Errors of the one namespace prefix: every <prefix><environment> must be a DNS-1123 label."""
    errors = []
    if not isinstance(prefix, str) or not re.match(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?-?)?$", prefix):
        return ["%s: %r must be lower-case letters, digits and '-' (it starts every "
                "environment namespace, for example krci-dev)" % (field, prefix)]
    for env in environments:
        if not DNS_LABEL.match(prefix + env):
            errors.append("%s: %r makes the namespace %r of environment %s, which is not a "
                          "DNS-1123 label (at most 63 characters)" % (field, prefix, prefix + env, env))
    return errors


def _push_targets(clusters, hub_cluster, pulls, requested):
    names = sorted(clusters)
    if requested is None:
        requested = [n for n in names if clusters[n].get("gitops") != PULL and clusters[n].get("environments")]
    errors = []
    result = []
    for target in requested:
        if target not in clusters:
            errors.append("argocd_push_targets: %r is not a cluster of the topology (clusters: %s)"
                          % (target, ", ".join(names)))
        elif target in pulls:
            errors.append("argocd_push_targets: %s is a pull cluster: its own Argo CD deploys it from Git, "
                          "and the hub must hold no credential for it" % target)
        elif target != hub_cluster:
            result.append(target)
    return sorted(set(result)), errors


def _extra_destinations(clusters, environments, hub_cluster, pulls, push_targets, extras):
    errors = []
    result = []
    names = sorted(clusters)
    for index, extra in enumerate(extras or []):
        where = "argocd_extra_destinations[%d]" % index
        if not isinstance(extra, dict):
            errors.append("%s: must be a mapping of project, cluster and namespace" % where)
            continue
        project, cluster, namespace = extra.get("project", ""), extra.get("cluster", ""), extra.get("namespace", "")
        if project not in environments:
            errors.append("%s.project: %r is not an environment of the topology (%s)"
                          % (where, project, ", ".join(environments)))
        elif cluster not in clusters:
            errors.append("%s.cluster: %r is outside the topology (clusters: %s)" % (where, cluster, ", ".join(names)))
        elif project not in (clusters[cluster].get("environments") or []):
            errors.append("%s: cluster %s does not carry environment %s (it carries: %s)"
                          % (where, cluster, project, ", ".join(clusters[cluster].get("environments") or []) or "none"))
        elif cluster not in pulls and cluster != hub_cluster and cluster not in push_targets:
            errors.append("%s: cluster %s is not in argocd_push_targets, so the hub cannot deploy there"
                          % (where, cluster))
        elif not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
            errors.append("%s.namespace: %r is not a namespace name" % (where, namespace))
        else:
            result.append({"project": project, "cluster": cluster, "namespace": namespace})
            continue
        if not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
            errors.append("%s.namespace: %r is not a namespace name" % (where, namespace))
    return sorted(result, key=lambda e: (e["project"], e["cluster"], e["namespace"])), errors


def _check_argocd_inputs(settings, file_exists):
    errors = []
    version = settings["argocd_version"]
    if version is not None and not RELEASE_TAG.match(str(version)):
        errors.append("argocd_version: %r is not a release tag such as v3.5.1" % (version,))
    manifest = settings["argocd_install_manifest"]
    if manifest is not None and not str(manifest).startswith("https://") and not file_exists(str(manifest)):
        errors.append("argocd_install_manifest: %s is neither an https URL nor a file on the controller" % manifest)
    source = settings["argocd_repo_credentials_from"]
    if source not in REPO_CREDENTIALS_FROM:
        errors.append("argocd_repo_credentials_from: %r; use environment (KRCI_GIT_*) or vault" % (source,))
    elif source == "vault":
        if not settings["vault"]:
            errors.append("argocd_repo_credentials_from: vault, but this inventory has no Vault "
                          "(set krci_vault_addr, or vault_install to install one)")
        elif not settings["vault_gitops_mount"] or not settings["vault_cluster_secret_stores"]:
            errors.append("argocd_repo_credentials_from: vault needs the GitOps mount and stores of the vault role "
                          "(vault_gitops_mount is empty or vault_cluster_secret_stores is false)")
        key = settings["argocd_repo_credentials_key"]
        if not isinstance(key, str) or not KEY_PATH.match(key):
            errors.append("argocd_repo_credentials_key: %r is not a Vault key path" % (key,))
    for field in ("argocd_root_path_prefix", "argocd_environments_path"):
        if not isinstance(settings[field], str) or not REPO_PATH.match(settings[field]):
            errors.append("%s: %r is not a relative path inside the GitOps repository (segments of letters, "
                          "digits, '.', '_' and '-', no '..')" % (field, settings[field]))
    revision = settings["argocd_root_revision"]
    if not isinstance(revision, str) or not revision or revision.startswith("-") or ".." in revision or " " in revision:
        errors.append("argocd_root_revision: %r is not a branch, tag or commit" % (revision,))
    ca_file = settings["argocd_git_ca_file"]
    if ca_file and not file_exists(str(ca_file)):
        errors.append("argocd_git_ca_file: %s is not a file on the controller (the PEM of the CA that serves "
                      "the Git repositories)" % ca_file)
    root = settings["argocd_root_repo"]
    if root and not GIT_URL.match(str(root)):
        errors.append("argocd_root_repo: %r is not a Git URL" % (root,))
    for repo in settings["argocd_source_repos"] or []:
        if not GIT_URL.match(str(repo)):
            errors.append("argocd_source_repos: %r is not a Git URL" % (repo,))
    return errors


def git_tls_hosts(settings):
    """Host names (without port) of the HTTPS Git repositories the instances read."""
    urls = [settings["argocd_root_repo"]] + list(settings["argocd_source_repos"] or []) + [settings.get("argocd_git_url")]
    hosts = set()
    for url in urls:
        match = re.match(r"^https://(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)", str(url or ""))
        if match:
            hosts.add(match.group(1))
    return sorted(hosts)


def gitops_layout(plan):
    """The app-of-apps layout of the GitOps repository: {path in the repository: Application}.

    Each Argo CD instance's root Application reads ``<root_path>/`` (``argocd/<instance>``), where
    one Application per environment the instance deploys points at ``<environments path>/<env>``
    with that environment's project and destination. What the environments' paths hold (the
    workloads) is the teams' content; these files are the platform's.
    """
    files = {}
    argocd = plan["argocd"]
    for name in sorted(plan["clusters"]):
        here = plan["clusters"][name]["argocd"]
        if here.get("instance") is None:
            continue
        for app in here["applications"]:
            files["%s/%s.yaml" % (here["root_path"], app["name"])] = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": app["name"], "namespace": argocd["namespace"],
                             "labels": {"app.kubernetes.io/part-of": "krci-platform",
                                        "krci.platform/environment": app["name"]}},
                "spec": {
                    "project": app["project"],
                    "source": {"repoURL": argocd["root_repo"], "targetRevision": argocd["root_revision"],
                               "path": app["path"]},
                    "destination": dict(app["destination"]),
                    "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
                },
            }
    return files


def _projects(instance_cluster, is_hub, clusters, push_targets, extras, prefix):
    """One AppProject per environment the instance deploys, with its destinations (in-cluster or remote).

    The hub deploys in-cluster into the platform cluster's own environments and to the registered
    API URL of each push target; a dedicated instance deploys only in-cluster.
    """
    targets = [instance_cluster] + (list(push_targets) if is_hub else [])
    projects = {}
    for cluster in targets:
        server = IN_CLUSTER if cluster == instance_cluster else clusters[cluster].get("api_url")
        for env in _env_order(clusters[cluster].get("environments") or []):
            projects[env] = {"name": env, "cluster": cluster, "server": server, "remote": server != IN_CLUSTER,
                             "destinations": [{"server": server, "namespace": prefix + env}]}
    for extra in extras:
        project = projects.get(extra["project"])
        if project is None or extra["cluster"] not in targets:
            continue
        server = IN_CLUSTER if extra["cluster"] == instance_cluster else clusters[extra["cluster"]].get("api_url")
        entry = {"server": server, "namespace": extra["namespace"]}
        if entry not in project["destinations"]:
            project["destinations"].append(entry)
    return [projects[env] for env in _env_order(projects)]


def _vault(settings, environments, instances, clusters, vault_clusters, access=None):
    errors = []
    prefix = settings["vault_kv_mount_prefix"]
    gitops_mount = settings["vault_gitops_mount"] or ""
    kv_mounts = dict((env, prefix + env) for env in environments)
    if not environments:
        errors.append("vault_environments is empty: the inventory has no environments")
    for env, mount in kv_mounts.items():
        if not MOUNT.match(mount):
            errors.append("vault_kv_mount_prefix: %r makes the mount %r of environment %s, which is not a mount "
                          "name (letters, digits, - and _)" % (prefix, mount, env))
    if gitops_mount and not MOUNT.match(gitops_mount):
        errors.append("vault_gitops_mount: %r is not a mount name (letters, digits, - and _)" % gitops_mount)
    elif gitops_mount in kv_mounts.values():
        errors.append("vault_gitops_mount: %s is already the mount of an environment; choose another name"
                      % gitops_mount)
    issuer = settings["vault_oidc_issuer"] or ""
    if issuer and not re.match(r"^https?://", issuer):
        errors.append('vault_oidc_issuer must be a URL (got "%s")' % issuer)

    gitops_instances = dict(instances) if gitops_mount else {}
    engines = {}
    for env in environments:
        engines[kv_mounts[env]] = {"type": "kv", "options": {"version": "2"},
                                   "description": "KubeRocketCI %s secrets" % env}
    if gitops_mount:
        engines[gitops_mount] = {"type": "kv", "options": {"version": "2"},
                                 "description": "Git credentials of the Argo CD instances"}
    auth_methods = {}
    per_cluster = {}
    stores = {}
    for name in vault_clusters:
        pull = clusters[name].get("gitops") == PULL
        mount = "kubernetes-" + name
        auth_methods[mount] = ({"type": "jwt", "description": "ServiceAccount tokens of pull cluster " + name}
                               if pull else {"type": "kubernetes", "description": "ServiceAccounts of cluster " + name})
        roles = {}
        for env in _env_order(clusters[name].get("environments") or []):
            roles["eso-" + env] = _auth_role(settings, pull, "krci-%s-read" % env)
        if name in gitops_instances:
            roles["gitops"] = _auth_role(settings, pull, "gitops-%s-read" % gitops_instances[name])
        per_cluster[name] = {"mount": mount, "type": "jwt" if pull else "kubernetes", "roles": roles}
        cluster_stores = []
        for env in _env_order(clusters[name].get("environments") or []):
            cluster_stores.append({"name": "vault-" + env, "namespace": settings["namespace_prefix"] + env,
                                   "path": kv_mounts[env], "role": "eso-" + env,
                                   "labels": {"krci.platform/environment": env}})
        if name in gitops_instances:
            cluster_stores.append({"name": "vault-gitops", "namespace": settings["argocd_namespace"],
                                   "path": gitops_mount, "role": "gitops",
                                   "labels": {"krci.platform/argocd-instance": gitops_instances[name]}})
        stores[name] = cluster_stores
    if issuer:
        auth_methods["keycloak"] = {"type": "jwt", "description": "Keycloak tokens (programmatic)"}
    return {
        "kv_mounts": kv_mounts,
        "gitops_mount": gitops_mount,
        "gitops_instances": gitops_instances,
        "secrets_engines": engines,
        "auth_methods": auth_methods,
        "kubernetes_mounts": dict((name, per_cluster[name]["mount"]) for name in vault_clusters),
        "policies": vault_policies(access, environments, prefix, gitops_mount, gitops_instances),
        "clusters": per_cluster,
        "secret_stores": stores,
    }, errors


def _hcl(path, capabilities):
    return 'path "%s" { capabilities = [%s] }' % (path, ", ".join('"%s"' % c for c in capabilities))


def vault_policies(access, environments, prefix, gitops_mount="", gitops_instances=None):
    """Every Vault ACL policy of the platform (name -> HCL): ``krci-<env>-read`` (an environment's
    workloads read only its mount), ``gitops-<instance>-read`` (an Argo CD instance reads only its Git
    credentials) and the people's, from the access table: ``krci-administrators`` manages every
    mount; ``krci-developers`` and ``krci-viewers`` get, per environment, edit (read and write the
    values), view (list keys and versions, never a value: as Kubernetes' view reads no Secret) or none."""
    environments = _env_order(environments)
    policies = {}
    for env in environments:
        policies["krci-%s-read" % env] = "\n".join([
            _hcl("%s%s/data/*" % (prefix, env), ["read"]),
            _hcl("%s%s/metadata/*" % (prefix, env), ["read", "list"])]) + "\n"
    for instance in sorted(set((gitops_instances or {}).values())):
        policies["gitops-%s-read" % instance] = "\n".join([
            _hcl("%s/data/%s/*" % (gitops_mount, instance), ["read"]),
            _hcl("%s/metadata/%s/*" % (gitops_mount, instance), ["read", "list"])]) + "\n"
    manage = ["create", "read", "update", "patch", "delete", "list"]
    admin = [_hcl("%s%s/*" % (prefix, env), manage) for env in environments]
    if gitops_mount:
        admin.append(_hcl("%s/*" % gitops_mount, manage))
    admin += [_hcl("sys/mounts", ["read"]), _hcl("sys/policies/acl/*", ["read", "list"])]
    policies[GROUPS["administrators"]] = "\n".join(admin) + "\n"
    for audience in AUDIENCES:
        lines = []
        for env in environments:
            level = ((access or {}).get(env) or {}).get(audience, "none")
            if level == "edit":
                lines += [_hcl("%s%s/data/*" % (prefix, env), ["create", "read", "update", "patch", "delete"]),
                          _hcl("%s%s/metadata/*" % (prefix, env), ["read", "list", "delete"])]
            elif level == "view":
                lines.append(_hcl("%s%s/metadata/*" % (prefix, env), ["read", "list"]))
        lines.append(_hcl("auth/token/lookup-self", ["read"]))
        policies[GROUPS[audience]] = "\n".join(lines) + "\n"
    return policies


def _auth_role(settings, pull, policy):
    """A Vault role for External Secrets' ServiceAccount: JWT (pull, verified offline) or Kubernetes."""
    if pull:
        return {"role_type": "jwt", "user_claim": "sub",
                "bound_subject": "system:serviceaccount:%s:%s" % (settings["vault_eso_namespace"],
                                                                  settings["vault_eso_service_account"]),
                "bound_audiences": [settings["vault_kubernetes_audience"]],
                "token_policies": [policy], "token_ttl": settings["vault_kubernetes_token_ttl"]}
    return {"bound_service_account_names": [settings["vault_eso_service_account"]],
            "bound_service_account_namespaces": [settings["vault_eso_namespace"]],
            "audience": settings["vault_kubernetes_audience"],
            "token_policies": [policy], "token_ttl": settings["vault_kubernetes_token_ttl"]}


def people_auth(group_policies, issuer, ca_pem, client_id, vault_url, redirect_uris, client_secret):
    """Vault's auth mounts for people, from Keycloak groups: ``keycloak`` (JWT, programmatic) always and,
    with the client's secret, ``oidc`` (browser login). One role per group, bound to that group and
    given its policy. Returns ``auth_methods`` to add and the ``configs`` of vault_config."""
    common = {"oidc_discovery_url": issuer, "bound_issuer": issuer}
    if ca_pem:
        common["oidc_discovery_ca_pem"] = ca_pem
    roles_jwt, roles_oidc = {}, {}
    for group in sorted(group_policies or {}):
        base = {"user_claim": "preferred_username", "groups_claim": "groups", "bound_claims": {"groups": [group]},
                "token_policies": [group_policies[group]], "token_ttl": 3600}
        roles_jwt[group] = dict(base, role_type="jwt", bound_audiences=[client_id])
        roles_oidc[group] = dict(base, role_type="oidc", oidc_scopes=["openid", "profile"],
                                 allowed_redirect_uris=["%s/ui/vault/auth/oidc/oidc/callback" % vault_url.rstrip("/")]
                                 + list(redirect_uris or []))
    configs = [{"mount": "keycloak", "config": common, "roles": roles_jwt}]
    methods = {}
    if client_secret:
        methods["oidc"] = {"type": "oidc", "description": "Keycloak browser login"}
        configs.append({"mount": "oidc", "roles": roles_oidc,
                        "config": dict(common, oidc_client_id=client_id, oidc_client_secret=client_secret)})
    return {"auth_methods": methods, "configs": configs}


def api_server_authentication(issuer, audience, ca_pem="", prefix="oidc:"):
    """The API servers' OIDC authenticator: a kube-apiserver AuthenticationConfiguration (the file of
    --authentication-config) that trusts ``issuer`` for tokens of ``audience``, with the CA that serves
    the issuer when it is private, usernames and groups prefixed as the cluster baseline binds them."""
    trusted = {"url": issuer, "audiences": [audience]}
    if ca_pem:
        trusted["certificateAuthority"] = ca_pem
    return {"apiVersion": "apiserver.config.k8s.io/v1beta1", "kind": "AuthenticationConfiguration",
            "jwt": [{"issuer": trusted, "claimMappings": {
                "username": {"claim": "preferred_username", "prefix": prefix},
                "groups": {"claim": "groups", "prefix": prefix}}}]}


def access_table(access=None, field="krci_access"):
    """(table, errors): the access table (ACCESS when None), checked: a mapping of environment to the level
    (edit, view, none) of each audience; production grants nothing."""
    table = ACCESS if access is None else access
    if not isinstance(table, dict):
        return dict(ACCESS), ["%s: must be a mapping of environment to {developers, viewers} access" % field]
    errors = []
    result = {}
    for env in _env_order(e for e in table if e in ENVIRONMENTS):
        levels = table[env]
        if not isinstance(levels, dict):
            errors.append("%s.%s: must be a mapping of developers and viewers to one of %s"
                          % (field, env, ", ".join(ACCESS_LEVELS)))
            continue
        for audience in AUDIENCES:
            if levels.get(audience) not in ACCESS_LEVELS:
                errors.append("%s.%s.%s: %r; use one of %s"
                              % (field, env, audience, levels.get(audience), ", ".join(ACCESS_LEVELS)))
        result[env] = dict((a, levels.get(a, "none")) for a in AUDIENCES)
    for env in sorted(e for e in table if e not in ENVIRONMENTS):
        errors.append("%s.%s: not an environment (%s)" % (field, env, ", ".join(ENVIRONMENTS)))
    for env in ENVIRONMENTS:
        if env not in table:
            errors.append("%s: no entry for environment %s; give developers and viewers one of %s"
                          % (field, env, ", ".join(ACCESS_LEVELS)))
    production = result.get("production") or {}
    if any(production.get(a, "none") != "none" for a in AUDIENCES):
        errors.append("%s.production: developers and viewers must be none (production changes through Git only)"
                      % field)
    return result, errors


def argocd_policy(access, environments, groups=None):
    """The policy.csv lines of an Argo CD instance whose projects are ``environments``: administrators are
    role:admin; developers and viewers get, per project, what the access table grants them there (view:
    see the project and its applications; edit: and sync them); nothing where it says none."""
    groups = dict(GROUPS, **(groups or {}))
    lines = ["g, %s, role:admin" % groups["administrators"]]
    for audience in AUDIENCES:
        role = "role:krci-%s" % audience[:-1]
        granted = []
        for env in _env_order(environments):
            level = (access.get(env) or {}).get(audience, "none")
            if level == "none":
                continue
            granted.append("p, %s, projects, get, %s, allow" % (role, env))
            granted.append("p, %s, applications, get, %s/*, allow" % (role, env))
            if level == "edit":
                granted.append("p, %s, applications, sync, %s/*, allow" % (role, env))
        if granted:
            lines.extend(granted)
            lines.append("g, %s, %s" % (groups[audience], role))
    return lines
