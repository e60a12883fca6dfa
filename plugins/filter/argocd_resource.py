# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils import _argocd_operator


def argocd_resource(url, namespace, policy, resource_exclusions, issuer="", client_id="", secret_name="",
                    ca_pem="", route_tls=None, labels=None):
    """The OpenShift GitOps operator's ArgoCD resource of one instance (see _argocd_operator.argocd_resource)."""
    return _argocd_operator.argocd_resource(namespace, url, policy, resource_exclusions, issuer=issuer or None,
                                            client_id=client_id or None, secret_name=secret_name or None,
                                            ca_pem=ca_pem or None, route_tls=route_tls, labels=labels)


def argocd_managed_namespaces(names, namespace, labels=None):
    """Namespace objects labelled for the operator-managed instance in ``namespace``."""
    return _argocd_operator.managed_namespaces(namespace, names or [], labels)


class FilterModule(object):
    def filters(self):
        return {"argocd_resource": argocd_resource, "argocd_managed_namespaces": argocd_managed_namespaces}
