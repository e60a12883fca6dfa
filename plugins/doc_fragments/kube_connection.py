# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Matches KUBE_CONNECTION_SPEC in plugins/module_utils/_kube_args.py.
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path of the kubeconfig file of the cluster.
      - Set once for a play with C(module_defaults) and C(group/krci.platform.kubernetes).
      - Defaults to E(K8S_AUTH_KUBECONFIG), then E(KUBECONFIG), then C(~/.kube/config); inside a Pod
        without a kubeconfig, its ServiceAccount.
      - Certificates, tokens, token files and basic auth are read by the collection itself. A user that
        authenticates through an C(exec) plugin or an C(auth-provider) (EKS, GKE), or a cluster with a
        C(proxy-url), is loaded through the C(kubernetes) Python library.
    type: path
  context:
    description:
      - Context in the kubeconfig; its current context when not set.
      - Defaults to E(K8S_AUTH_CONTEXT).
    type: str
requirements:
  - urllib3 and PyYAML (Python libraries)
  - kubernetes >= 24.2.0 (Python library), only for exec plugins, auth providers and proxies

"""
