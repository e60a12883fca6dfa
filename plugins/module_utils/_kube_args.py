# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec constants shared by the Kubernetes modules (doc fragment: kube_connection).

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback
from ansible_collections.krci.platform.plugins.module_utils._retry import warn_on_retry


def client_from_params(module):
    """The KubeClient of a module's kubeconfig and context; retries are reported as warnings."""
    from ansible_collections.krci.platform.plugins.module_utils._kube import KubeClient  # pylint: disable=import-outside-toplevel

    return KubeClient(module.params["kubeconfig"], module.params["context"], on_retry=warn_on_retry(module.warn))


KUBE_CONNECTION_SPEC = dict(
    kubeconfig=dict(type="path", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG", "KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
)
