# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: topology
short_description: Clusters of a KubeRocketCI allocation option as inventory hosts and groups
version_added: 0.1.0
description:
  - Reads a short YAML file that names the cluster allocation option (C(shared), C(separated) or
    C(isolated)) and how to connect to each cluster, and turns it into one inventory host per
    cluster with groups C(role_platform), C(role_workloads), C(role_staging), C(role_production),
    C(push_targets), C(pull_clusters) and C(env_<environment>).
  - Validates the file against the option (roles, environments, GitOps model, kubeconfig files and
    contexts, duplicate API URLs). It never raises on a topology error, so that every runner,
    including AWX, reaches the playbooks' first validation play, which fails with the list of
    problems in C(krci_topology_errors) before any change.
  - The file name must end in C(topology.yml) or C(topology.yaml).
author:
  - krci.platform contributors (@krci-platform)
options:
  plugin:
    description: Marks the file as this plugin's.
    type: str
    required: true
    choices: [krci.platform.topology]
  option:
    description: The cluster allocation option.
    type: str
    required: true
  clusters:
    description:
      - Cluster name to settings. Names become inventory hosts.
      - C(role) (platform, workloads, staging, production) and C(environments) default from the
        option when the name is one of the option's default names (for example C(workloads) in
        C(separated)) or when the option has a single cluster of that role.
      - C(kubeconfig) (path, C(~) expanded) is required unless O(kubeconfig_from=environment);
        C(context) defaults to its current context;
        C(api_url), when set, must match the context's server. C(gitops) may be given only to
        confirm the derived model. C(vars) are host variables of that cluster.
      - C(flavour) (C(kubernetes) or C(openshift)) is detected from the API groups when the playbooks run;
        set it only where detection cannot tell (one of C(route.openshift.io) and the C(config.openshift.io)
        ClusterVersion without the other). One that contradicts the detection stops the run.
    type: dict
    required: true
  kubeconfig_from:
    description:
      - C(file), each cluster names its kubeconfig file.
      - C(environment), one kubeconfig with a context per cluster comes from E(K8S_AUTH_KUBECONFIG)
        when the playbook runs (an AWX credential injects it); each cluster names its C(context).
        If the variable is set when the inventory is read, the contexts are checked against it.
    type: str
    default: file
    choices: [file, environment]
  push_targets:
    description:
      - Optional assertion of the clusters the platform Argo CD pushes to. A pull cluster here is an error.
    type: list
    elements: str
  namespace_prefix:
    description:
      - The one prefix of every environment namespace, C(<namespace_prefix><environment>) (for example
        C(krci-dev)), used by every role (baseline, Argo CD projects, External Secrets stores).
      - Set as C(krci_namespace_prefix) for the C(all) group; each cluster's namespaces are its host
        variable C(krci_namespaces) (environment to namespace).
    type: str
    default: krci-
  aws:
    description:
      - The platform on AWS (seed 001) - C(region), C(accounts) (name to C(id), the C(role_arn) the automation
        assumes there, the C(clusters) it holds), C(eks), C(secrets_backends) and more; see the
        M(krci.platform.aws_plan) filter and C(docs/aws.md).
      - Set as C(krci_aws) for the C(all) group and checked by the first play of C(playbooks/aws.yml) before any AWS
        call. Holds no secret - credentials come from the controller (AWX's AWS credential) and the assumed roles.
    type: dict
    default: {}
  vars:
    description: Variables for the C(all) group (for example URLs of Keycloak and Vault).
    type: dict
    default: {}
"""

EXAMPLES = r"""
# inventories/separated/topology.yml
plugin: krci.platform.topology
option: separated
clusters:
  platform:
    kubeconfig: ~/.kube/krci-platform.yaml
  workloads:
    kubeconfig: ~/.kube/krci-workloads.yaml
    context: workloads-admin
  staging:
    kubeconfig: ~/.kube/krci-staging.yaml
  production:
    kubeconfig: ~/.kube/krci-production.yaml
vars:
  krci_keycloak_url: https://sso.example.com

---
# AWX: one kubeconfig with a context per cluster, injected by a credential at run time
plugin: krci.platform.topology
option: separated
kubeconfig_from: environment
clusters:
  platform: {context: platform}
  workloads: {context: workloads}
  staging: {context: staging}
  production: {context: production}
"""

import os
import sys

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible_collections.krci.platform.plugins.module_utils import _platform as platform
from ansible_collections.krci.platform.plugins.module_utils import _topology as topology


class InventoryModule(BaseInventoryPlugin):
    NAME = "krci.platform.topology"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("topology.yml", "topology.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        data = self.loader.load_from_file(path, cache=False)
        if not isinstance(data, dict) or data.get("plugin") not in (self.NAME, "topology"):
            raise AnsibleParserError("%s: not a %s inventory file (plugin: %s)" % (path, self.NAME, self.NAME))
        option = data.get("option")
        declared, pending = self._eks_kubeconfigs(data, self._absolute_kubeconfigs(data.get("clusters") or {}, path))
        errors = []

        def kubeconfig_reader(kubeconfig, context=None):
            if kubeconfig in pending and not os.path.exists(kubeconfig):
                return None, context, None  # playbooks/aws.yml writes it; the option playbook needs it
            return topology.read_kubeconfig(kubeconfig, context)

        try:
            resolved = topology.resolve(option, declared, data.get("push_targets"), kubeconfig_reader=kubeconfig_reader,
                                        kubeconfig_from=data.get("kubeconfig_from") or "file")
        except topology.TopologyError as exc:
            errors = exc.errors
            resolved = self._best_effort(declared)
        prefix = data.get("namespace_prefix", platform.DEFAULTS["namespace_prefix"])
        errors.extend(platform.check_namespace_prefix(
            prefix, sorted({e for c in resolved for e in (c.get("environments") or []) if isinstance(e, str)}), field="namespace_prefix"))

        self.inventory.add_group("all")
        for key, value in (data.get("vars") or {}).items():
            self.inventory.set_variable("all", key, value)
        self.inventory.set_variable("all", "krci_allocation_option", option)
        self.inventory.set_variable("all", "krci_topology_errors", errors)
        self.inventory.set_variable("all", "krci_topology_source", path)
        self.inventory.set_variable("all", "krci_namespace_prefix", prefix)
        self.inventory.set_variable("all", "krci_aws", data.get("aws") or {})
        self.inventory.set_variable("all", "krci_topology", [
            {k: c.get(k) for k in ("name", "role", "environments", "gitops", "flavour", "api_url")} for c in resolved])
        for group, members in topology.groups(option if option in topology.OPTIONS else "shared",
                                              resolved if not errors else []).items():
            self.inventory.add_group(group)
            for name in members:
                self.inventory.add_host(name, group=group)
        for cluster in resolved:
            name = cluster["name"]
            self.inventory.add_host(name)
            host_vars = {
                "ansible_connection": "local",
                # Tasks run on the controller, with the Python that runs Ansible (and has kubernetes).
                "ansible_python_interpreter": sys.executable,
                "krci_cluster_role": cluster.get("role"),
                "krci_environments": cluster.get("environments") or [],
                "krci_namespaces": dict((env, "%s%s" % (prefix, env)) for env in cluster.get("environments") or []),
                "krci_gitops_model": cluster.get("gitops"),
                # The inventory's flavour (None: detected by the first play, as krci_flavour).
                "krci_cluster_flavour": cluster.get("flavour"),
                "krci_kubeconfig": cluster.get("kubeconfig"),
                "krci_context": cluster.get("context"),
                "krci_api_url": cluster.get("api_url"),
            }
            host_vars.update(cluster.get("vars") or {})
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)

    @staticmethod
    def _absolute_kubeconfigs(declared, source):
        """Kubeconfig paths relative to the inventory file, ~ expanded, so tasks find them from any cwd."""
        if not isinstance(declared, dict):
            return declared
        base = os.path.dirname(os.path.abspath(source))
        result = {}
        for name, spec in declared.items():
            if isinstance(spec, dict) and isinstance(spec.get("kubeconfig"), str):
                spec = dict(spec, kubeconfig=os.path.join(base, os.path.expanduser(spec["kubeconfig"])))
            result[name] = spec
        return result

    @staticmethod
    def _eks_kubeconfigs(data, declared):
        """(declared, pending paths): a cluster of an AWS account (an EKS cluster) without a kubeconfig gets the one
        playbooks/aws.yml writes, <vars.aws_kubeconfig_dir or ~/.kube/krci>/<cluster>.yaml; until it is written,
        its absence is no error here (the option playbook's reachability check names it)."""
        aws = data.get("aws")
        accounts = aws.get("accounts") if isinstance(aws, dict) else None
        if not isinstance(accounts, dict) or not isinstance(declared, dict):
            return declared, set()
        folder = (data.get("vars") or {}).get("aws_kubeconfig_dir") or "~/.kube/krci"
        names = set()
        for account in accounts.values():
            if isinstance(account, dict) and isinstance(account.get("clusters"), list):
                names.update(c for c in account["clusters"] if isinstance(c, str))
        result, pending = dict(declared), set()
        for name in sorted(names):
            if name not in result:
                continue  # the aws plan names a cluster the topology does not have
            spec = result[name] if result[name] is not None else {}
            if not isinstance(spec, dict):
                continue
            if not spec.get("kubeconfig"):
                spec = dict(spec, kubeconfig=os.path.join(os.path.expanduser(folder), "%s.yaml" % name))
                result[name] = spec
                pending.add(spec["kubeconfig"])
        return result, pending

    @staticmethod
    def _best_effort(declared):
        """Hosts for an invalid file, so the validation play can run and report every problem."""
        result = []
        for name, spec in (declared.items() if isinstance(declared, dict) else []):
            spec = spec if isinstance(spec, dict) else {}
            result.append({"name": name, "role": spec.get("role"), "environments": spec.get("environments") or [],
                           "gitops": spec.get("gitops"), "kubeconfig": spec.get("kubeconfig"),
                           "context": spec.get("context"), "api_url": spec.get("api_url")})
        return result
