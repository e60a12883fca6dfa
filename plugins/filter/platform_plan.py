# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: platform_plan
short_description: The whole platform derived once from the topology, per cluster and platform-wide
version_added: 0.2.0
description:
  - Derives what the platform is from the resolved topology (C(krci_topology), set by the
    C(krci.platform.topology) inventory plugin) and the roles' settings, so that the roles apply
    it and derive nothing themselves.
  - Per cluster, under C(clusters.<name>) - C(environments) and their C(namespaces)
    (C(<namespace_prefix><environment>)); C(gitops) (C(push) or C(pull)); C(argocd.instance)
    (C(hub) on the platform cluster, the cluster's own name in a pull cluster, none elsewhere),
    C(argocd.deployed_by), C(argocd.push_target), C(argocd.managed_namespaces) (what the hub's
    ServiceAccount administers there) and, where an instance runs, C(argocd.projects) (one per
    environment with its destinations); C(vault) (the auth mount, C(kubernetes) for push clusters
    and C(jwt) for pull clusters, and its roles); C(secret_stores) (the ClusterSecretStores it
    gets); C(client_secrets) (the Keycloak clients whose secrets are written into it).
  - Platform-wide - C(environments) in promotion order, C(hub_cluster), C(push_targets),
    C(pull_clusters), C(argocd.instances) (cluster to instance) and C(argocd.clients), and
    C(vault) (C(kv_mounts), C(gitops_mount), C(gitops_instances), C(secrets_engines),
    C(auth_methods), C(kubernetes_mounts)).
  - Every mapping is sorted and the same input gives the same plan. C(errors) lists every input
    problem, each naming the variable to fix; the roles stop before any change when it is not empty.
  - Never contacts a cluster or a server; C(argocd_install_manifest), when it is not an https URL,
    is checked to be a file on the controller.
options:
  _input:
    description: The resolved topology, C(krci_topology) (a list of clusters with C(name), C(role),
      C(environments), C(gitops) and C(api_url)).
    type: list
    elements: dict
    required: true
  settings:
    description:
      - The roles' settings the plan depends on; unset or null keys take their defaults.
      - C(namespace_prefix) (default C(krci-)); C(argocd_namespace), C(argocd_push_targets) (default
        every push target of the topology), C(argocd_extra_destinations), C(argocd_version),
        C(argocd_install_manifest), C(argocd_repo_credentials_from), C(argocd_repo_credentials_key),
        C(argocd_root_repo), C(argocd_source_repos); C(vault) (true when the inventory configures a
        Vault), C(vault_kubernetes_clusters) (default all), C(vault_kv_mount_prefix),
        C(vault_gitops_mount), C(vault_eso_namespace), C(vault_eso_service_account),
        C(vault_kubernetes_audience), C(vault_kubernetes_token_ttl), C(vault_oidc_issuer),
        C(vault_cluster_secret_stores); C(keycloak_client_secret_namespaces).
    type: dict
    default: {}
author:
  - krci.platform contributors (@krci-platform)
"""

EXAMPLES = r"""
- name: The plan of this inventory, with the argocd role's settings
  ansible.builtin.set_fact:
    krci_plan: >-
      {{ krci_topology | krci.platform.platform_plan({'namespace_prefix': krci_namespace_prefix,
         'argocd_push_targets': argocd_push_targets}) }}

- name: The namespaces of this cluster's environments
  ansible.builtin.debug:
    msg: "{{ krci_plan.clusters[inventory_hostname].namespaces }}"
"""

RETURN = r"""
_value:
  description: The plan; C(errors) is empty when the input is valid.
  type: dict
  contains:
    errors: {description: Input problems, each naming the variable to fix., type: list, elements: str}
    namespace_prefix: {description: The one prefix of every environment namespace., type: str}
    environments: {description: Environments of the topology in promotion order., type: list, elements: str}
    hub_cluster: {description: The platform cluster, where the hub Argo CD runs., type: str}
    push_targets: {description: Clusters the hub registers and deploys into (the hub's own excluded)., type: list, elements: str}
    pull_clusters: {description: Clusters with a dedicated Argo CD that reads Git only., type: list, elements: str}
    argocd: {description: C(instances) (cluster to instance name) and C(clients) (instance to Keycloak client ID)., type: dict}
    vault: {description: Vault's platform-wide mounts and auth methods., type: dict}
    clusters: {description: Cluster name to its part of the plan (see the description)., type: dict}
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.module_utils._platform import access_table, people_auth, plan
from ansible_collections.krci.platform.plugins.module_utils._platform import api_server_authentication as _api_server_authentication
from ansible_collections.krci.platform.plugins.module_utils._platform import gitops_layout as _gitops_layout


def platform_plan(topology, settings=None):
    if not isinstance(topology, list):
        raise AnsibleFilterError("platform_plan: the input must be krci_topology (a list of clusters), got %s"
                                 % type(topology).__name__)
    if settings is not None and not isinstance(settings, dict):
        raise AnsibleFilterError("platform_plan: settings must be a mapping, got %s" % type(settings).__name__)
    return plan([dict(c) for c in topology], dict(settings or {}))


def vault_people_auth(group_policies, issuer, ca_pem="", client_id="vault", vault_url="", redirect_uris=None,
                      client_secret=""):
    """Vault's JWT and OIDC auth mounts for Keycloak groups (see the vault_people_auth documentation)."""
    return people_auth(dict(group_policies or {}), issuer, ca_pem or "", client_id, vault_url or "",
                       list(redirect_uris or []), client_secret or "")


def api_server_authentication(issuer, audience="kubernetes", ca_pem="", prefix="oidc:"):
    """The kube-apiserver AuthenticationConfiguration for the issuer (see its documentation)."""
    return _api_server_authentication(issuer, audience, ca_pem or "", prefix)


def access(table=None):
    """The access table of the platform (group x environment: edit, view or none); the default one for None."""
    return access_table(table)[0]


def gitops_layout(platform):
    """The GitOps repository's app-of-apps files of a plan (see the gitops_layout documentation)."""
    if not isinstance(platform, dict) or "clusters" not in platform or "argocd" not in platform:
        raise AnsibleFilterError("gitops_layout: the input must be a plan (the output of krci.platform.platform_plan)")
    return _gitops_layout(platform)


class FilterModule:
    def filters(self):
        return {"platform_plan": platform_plan, "vault_people_auth": vault_people_auth, "access": access,
                "api_server_authentication": api_server_authentication, "gitops_layout": gitops_layout}
