# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster allocation options of KubeRocketCI: one source of truth.

For internal collection use only. Pure Python (PyYAML at most), so modules, the inventory
plugin, filters, the sandbox and the tests all read the same model.

Seed 002 defines three options. Production is always alone on its cluster and is always
``pull`` (a dedicated Argo CD inside it reads Git only); in ``separated`` and ``isolated``
staging is ``pull`` too. Every other cluster that carries environments is a ``push`` target
of the hub Argo CD on the platform cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

# Environments in promotion order. QA is the same tier as test.
ENVIRONMENTS = ("dev", "test", "uat", "staging", "production")
ROLES = ("platform", "workloads", "staging", "production")

PUSH = "push"
PULL = "pull"

# option -> ordered (default cluster name, cluster role, environments, gitops model)
_OPTIONS = {
    "shared": (
        ("platform", "platform", ("dev", "test"), PUSH),
        ("staging", "staging", ("staging",), PUSH),
        ("production", "production", ("production",), PULL),
    ),
    "separated": (
        ("platform", "platform", (), PUSH),
        ("workloads", "workloads", ("dev", "test", "uat"), PUSH),
        ("staging", "staging", ("staging",), PULL),
        ("production", "production", ("production",), PULL),
    ),
    "isolated": (
        ("platform", "platform", (), PUSH),
        ("dev", "workloads", ("dev",), PUSH),
        ("test", "workloads", ("test",), PUSH),
        ("uat", "workloads", ("uat",), PUSH),
        ("staging", "staging", ("staging",), PULL),
        ("production", "production", ("production",), PULL),
    ),
}

OPTIONS = tuple(_OPTIONS)
CLUSTER_KEYS = ("role", "environments", "gitops", "flavour", "kubeconfig", "context", "api_url", "vars")
FLAVOURS = ("kubernetes", "openshift")


class TopologyError(ValueError):
    """An allocation option or inventory that breaks the model; the message names the field."""

    def __init__(self, errors):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super(TopologyError, self).__init__("; ".join(self.errors))


def _check_option(option):
    if option not in _OPTIONS:
        raise TopologyError(
            "krci_allocation_option: unknown option %r; choose one of %s" % (option, ", ".join(OPTIONS))
        )


def clusters(option):
    """The default clusters of an option, as a list of dicts (name, role, environments, gitops)."""
    _check_option(option)
    return [
        {"name": name, "role": role, "environments": list(envs), "gitops": gitops}
        for name, role, envs, gitops in _OPTIONS[option]
    ]


def gitops_model(option, role, environments):
    """push or pull, derived from the option and the cluster's role; never chosen by hand."""
    if role == "production":
        return PULL
    if role == "staging" and option != "shared":
        return PULL
    return PUSH


def groups(option, resolved=None):
    """Inventory groups: group name -> list of cluster names, for the defaults or resolved clusters.

    Groups are ``role_<role>``, ``push_targets``, ``pull_clusters`` and ``env_<environment>``
    (prefixed, so they never collide with cluster names such as ``production``).
    """
    result = {"role_platform": [], "role_workloads": [], "role_staging": [], "role_production": [],
              "push_targets": [], "pull_clusters": []}
    for env in ENVIRONMENTS:
        result["env_%s" % env] = []
    for cluster in resolved if resolved is not None else clusters(option):
        result["role_%s" % cluster["role"]].append(cluster["name"])
        if cluster["gitops"] == PULL:
            result["pull_clusters"].append(cluster["name"])
        elif cluster["environments"]:
            # The hub Argo CD deploys into this cluster (in-cluster for the platform itself).
            result["push_targets"].append(cluster["name"])
        for env in cluster["environments"]:
            result["env_%s" % env].append(cluster["name"])
    return result


def read_kubeconfig(path, context=None):
    """(api_url, context, error) from a kubeconfig file; error is a message naming the problem."""
    import yaml  # pylint: disable=import-outside-toplevel

    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        return None, context, "kubeconfig %s does not exist" % path
    try:
        with open(path) as handle:
            config = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        return None, context, "kubeconfig %s cannot be read: %s" % (path, exc)
    context = context or config.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in config.get("contexts") or []}
    if not context:
        return None, None, "kubeconfig %s has no current-context; set context" % path
    if context not in contexts:
        return None, context, "context %r is not in kubeconfig %s (it has: %s)" % (
            context, path, ", ".join(sorted(str(c) for c in contexts)) or "none")
    cluster_name = contexts[context].get("cluster")
    servers = {c.get("name"): (c.get("cluster") or {}).get("server") for c in config.get("clusters") or []}
    if cluster_name not in servers or not servers[cluster_name]:
        return None, context, "context %r in kubeconfig %s names cluster %r, which has no server" % (
            context, path, cluster_name)
    return servers[cluster_name].rstrip("/"), context, None


KUBECONFIG_FROM = ("file", "environment")
KUBECONFIG_ENV = "K8S_AUTH_KUBECONFIG"


# A cluster's name becomes an Ansible host, a DNS label (argocd-<name>.<domain>), Kubernetes object names
# (Secret cluster-<name>), a Vault auth mount (kubernetes-<name>) and a Keycloak client ID (argocd-<name>):
# a DNS-1123 label short enough for the longest of them.
CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CLUSTER_NAME_MAX = 63 - len("argocd-")


def cluster_name_errors(declared):
    """Errors of the cluster names: each a DNS-1123 label of at most CLUSTER_NAME_MAX characters, unique
    without regard to case (what they become is compared in lower case by DNS and Keycloak)."""
    errors = []
    seen = {}
    for name in declared if isinstance(declared, dict) else []:
        text = str(name)
        if not CLUSTER_NAME.match(text) or len(text) > CLUSTER_NAME_MAX:
            errors.append("clusters.%s: the name becomes the DNS label argocd-%s, the Secret cluster-%s, the Vault "
                          "mount kubernetes-%s and the Keycloak client argocd-%s, so it must be lower-case letters, "
                          "digits and '-' (starting and ending with a letter or digit), at most %d characters"
                          % (text, text, text, text, text, CLUSTER_NAME_MAX))
        twin = seen.setdefault(text.lower(), text)
        if twin != text:
            errors.append("clusters.%s: differs from clusters.%s only in case; their DNS names, Secrets, Vault "
                          "mounts and Keycloak clients would collide: rename one" % (text, twin))
    return errors


def resolve(option, declared, push_targets=None, kubeconfig_reader=read_kubeconfig, kubeconfig_from="file",
            environ=None):
    """Validate a declared inventory against the option; return the resolved clusters.

    ``declared`` maps cluster name -> dict with optional ``role``, ``environments``, ``gitops``, ``flavour``,
    ``kubeconfig``, ``context``, ``api_url``, ``vars``. Missing role and environments default
    from the option by cluster name (or by role, when the option has one cluster of that role).
    Raises TopologyError listing every problem, each naming the field and the fix.

    ``kubeconfig_from: environment`` (AWX: a credential injects one kubeconfig with a context per
    cluster as K8S_AUTH_KUBECONFIG when the job runs): clusters name only their context; when the
    variable is set at inventory time too, the contexts are checked against it.
    """
    _check_option(option)
    if kubeconfig_from not in KUBECONFIG_FROM:
        raise TopologyError("kubeconfig_from: %r; use file (a kubeconfig path per cluster) or environment "
                            "(%s, for example from an AWX credential)" % (kubeconfig_from, KUBECONFIG_ENV))
    if not isinstance(declared, dict) or not declared:
        raise TopologyError("clusters: the inventory declares no clusters; the %s option needs %s" % (
            option, ", ".join(c["name"] for c in clusters(option))))
    defaults = {c["name"]: c for c in clusters(option)}
    role_counts = {}
    for cluster in defaults.values():
        role_counts[cluster["role"]] = role_counts.get(cluster["role"], 0) + 1
    by_role = {c["role"]: c for c in defaults.values() if role_counts[c["role"]] == 1}
    errors = []
    resolved = []
    errors.extend(cluster_name_errors(declared))
    for name, spec in declared.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            errors.append("clusters.%s: must be a mapping of %s" % (name, ", ".join(CLUSTER_KEYS)))
            continue
        unknown = sorted(set(spec) - set(CLUSTER_KEYS))
        if unknown:
            errors.append("clusters.%s: unknown key(s) %s; allowed: %s"
                          % (name, ", ".join(unknown), ", ".join(CLUSTER_KEYS)))
        default = defaults.get(name)
        role = spec.get("role") or (default or {}).get("role")
        if role is None:
            errors.append("clusters.%s.role: not set and %r is not a cluster of the %s option; set role to one of %s"
                          % (name, name, option, ", ".join(ROLES)))
            continue
        if role not in ROLES:
            errors.append("clusters.%s.role: unknown role %r; choose one of %s" % (name, role, ", ".join(ROLES)))
            continue
        if default is None or default["role"] != role:
            default = by_role.get(role)
        environments = spec.get("environments")
        if environments is None:
            if default is None:
                errors.append("clusters.%s.environments: must be set for a %s cluster in the %s option"
                              % (name, role, option))
                continue
            environments = list(default["environments"])
        if isinstance(environments, str) or not isinstance(environments, list):
            errors.append("clusters.%s.environments: must be a list of %s" % (name, ", ".join(ENVIRONMENTS)))
            continue
        bad = [e for e in environments if e not in ENVIRONMENTS]
        if bad:
            errors.append("clusters.%s.environments: unknown environment(s) %s; choose from %s"
                          % (name, ", ".join(map(str, bad)), ", ".join(ENVIRONMENTS)))
            continue
        gitops = gitops_model(option, role, environments)
        if spec.get("gitops") not in (None, gitops):
            errors.append("clusters.%s.gitops: %r, but a %s cluster in the %s option is always %s (derived, not chosen)"
                          % (name, spec.get("gitops"), role, option, gitops))
        flavour = spec.get("flavour")
        if flavour is not None and flavour not in FLAVOURS:
            errors.append("clusters.%s.flavour: %r; use %s, or leave it out to detect it from the API groups"
                          % (name, flavour, " or ".join(FLAVOURS)))
            continue
        cluster = {"name": name, "role": role, "environments": list(environments), "gitops": gitops,
                   "flavour": flavour, "kubeconfig": spec.get("kubeconfig"), "context": spec.get("context"),
                   "api_url": spec.get("api_url"), "vars": spec.get("vars") or {}}
        resolved.append(cluster)

    errors.extend(_check_roles(option, resolved, role_counts))
    errors.extend(_check_environments(option, resolved))
    errors.extend(_check_push_targets(resolved, push_targets))
    errors.extend(_check_connections(resolved, kubeconfig_reader, kubeconfig_from,
                                     os.environ if environ is None else environ))
    if errors:
        raise TopologyError(errors)
    return resolved


def _check_roles(option, resolved, role_counts):
    errors = []
    for role in ROLES:
        have = [c["name"] for c in resolved if c["role"] == role]
        want = role_counts.get(role, 0)
        if len(have) < want:
            errors.append("clusters: the %s option needs %d %s cluster(s), the inventory has %d (%s)"
                          % (option, want, role, len(have), ", ".join(have) or "none"))
        elif len(have) > want:
            errors.append("clusters: the %s option has %d %s cluster(s), the inventory has one too many: %s"
                          % (option, want, role, ", ".join(have)))
    return errors


def _check_environments(option, resolved):
    errors = []
    placed = {}
    for cluster in resolved:
        for env in cluster["environments"]:
            placed.setdefault(env, []).append(cluster["name"])
        if "production" in cluster["environments"] and cluster["environments"] != ["production"]:
            errors.append("clusters.%s.environments: production must be alone on its cluster, found %s"
                          % (cluster["name"], ", ".join(cluster["environments"])))
        if cluster["role"] == "production" and cluster["environments"] != ["production"]:
            errors.append("clusters.%s.environments: a production cluster carries production only"
                          % cluster["name"])
        if cluster["role"] != "production" and "production" in cluster["environments"]:
            errors.append("clusters.%s.environments: production belongs on the production cluster, not on a %s cluster"
                          % (cluster["name"], cluster["role"]))
        if cluster["role"] == "staging" and cluster["environments"] != ["staging"]:
            errors.append("clusters.%s.environments: a staging cluster carries staging only" % cluster["name"])
    for env, names in placed.items():
        if len(names) > 1:
            errors.append("environment %s is on two clusters: %s; an environment lives on exactly one cluster"
                          % (env, " and ".join(names)))
    needed = sorted({e for c in clusters(option) for e in c["environments"]}, key=ENVIRONMENTS.index)
    missing = [e for e in needed if e not in placed]
    if missing:
        errors.append("environments: the %s option needs %s on some cluster; missing: %s"
                      % (option, ", ".join(needed), ", ".join(missing)))
    return errors


def _check_push_targets(resolved, push_targets):
    if push_targets is None:
        return []
    if not isinstance(push_targets, list):
        return ["push_targets: must be a list of cluster names"]
    errors = []
    known = {c["name"]: c for c in resolved}
    for name in push_targets:
        if name not in known:
            errors.append("push_targets: %r is not a cluster of this inventory" % name)
        elif known[name]["gitops"] == PULL:
            errors.append("push_targets: %s is a pull cluster (a dedicated Argo CD inside it reads Git); "
                          "nothing on the platform cluster may reach it; remove it from push_targets" % name)
        elif not known[name]["environments"]:
            errors.append("push_targets: %s carries no environment to deploy to" % name)
    return errors


def _check_connections(resolved, kubeconfig_reader, kubeconfig_from="file", environ=None):
    errors = []
    for cluster in resolved:
        if not cluster["kubeconfig"] and kubeconfig_from == "environment":
            if not cluster["context"]:
                errors.append("clusters.%s.context: required with kubeconfig_from: environment (one kubeconfig, "
                              "a context per cluster)" % cluster["name"])
                continue
            path = (environ or {}).get(KUBECONFIG_ENV)
            if not path:
                continue  # checked when the playbook runs, where the credential is injected
            api_url, _context, error = kubeconfig_reader(path, cluster["context"])
            if error:
                errors.append("clusters.%s: %s (from %s)" % (cluster["name"], error, KUBECONFIG_ENV))
            elif cluster["api_url"] and cluster["api_url"].rstrip("/") != api_url:
                errors.append("clusters.%s.api_url: %s, but context %r of %s points at %s" % (
                    cluster["name"], cluster["api_url"], cluster["context"], KUBECONFIG_ENV, api_url))
            else:
                cluster["api_url"] = api_url
            continue
        if not cluster["kubeconfig"]:
            errors.append("clusters.%s.kubeconfig: not set; give the path of this cluster's kubeconfig"
                          % cluster["name"])
            continue
        api_url, context, error = kubeconfig_reader(cluster["kubeconfig"], cluster["context"])
        if error:
            errors.append("clusters.%s: %s" % (cluster["name"], error))
            continue
        cluster["context"] = context
        if api_url is None:  # a kubeconfig still to be written (an EKS cluster's, by playbooks/aws.yml)
            continue
        if cluster["api_url"] and cluster["api_url"].rstrip("/") != api_url:
            errors.append("clusters.%s.api_url: %s, but context %r of %s points at %s" % (
                cluster["name"], cluster["api_url"], context, cluster["kubeconfig"], api_url))
        cluster["api_url"] = api_url
    seen = {}
    for cluster in resolved:
        if cluster["api_url"]:
            seen.setdefault(cluster["api_url"], []).append(cluster["name"])
    for url, names in seen.items():
        if len(names) > 1:
            errors.append("clusters %s have the same API URL %s; each cluster of the topology is a distinct "
                          "Kubernetes cluster" % (" and ".join(names), url))
    return errors
