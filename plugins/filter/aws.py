# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.module_utils import _aws, _eks_token


def aws_plan(topology, aws=None, namespace_prefix="krci-", applications=None):
    """The platform on AWS: accounts, EKS clusters, IRSA roles and stores (see _aws.plan)."""
    if not isinstance(topology, list):
        raise AnsibleFilterError("aws_plan: the input must be krci_topology (a list of clusters), got %s"
                                 % type(topology).__name__)
    return _aws.plan([dict(c) for c in topology], aws, namespace_prefix or "krci-",
                     applications if isinstance(applications, list) else [])


def irsa_trust_policy(issuer, account_id, namespace, service_account, partition="aws"):
    """The web-identity trust policy of an IRSA role for exactly one ServiceAccount of one issuer."""
    if not issuer or not str(issuer).startswith("https://"):
        raise AnsibleFilterError("irsa_trust_policy: %r is not an https issuer URL (EKS: identity.oidc.issuer)" % issuer)
    return _aws.irsa_trust_policy(account_id, issuer, namespace, service_account, partition)


def aws_kms_policy(key_arn):
    """Vault's auto-unseal policy: its one KMS key, nothing else."""
    return _aws.kms_policy(key_arn)


def aws_vault_seal(topology, aws, cluster, namespace_prefix="krci-", applications=None):
    """The seal of the Vault on ``cluster``: AWS KMS auto-unseal when aws.vault_kms_cluster names it, else {}."""
    if not isinstance(topology, list):
        raise AnsibleFilterError("aws_vault_seal: the input must be krci_topology (a list of clusters), got %s"
                                 % type(topology).__name__)
    return _aws.vault_seal([dict(c) for c in topology], aws or {}, cluster, namespace_prefix or "krci-",
                           applications if isinstance(applications, list) else [])


def aws_kubernetes_lookups(cluster):
    """The objects to read before aws_kubernetes_objects: IRSA ServiceAccounts, their workloads, the Ingresses of
    the ingress certificate, the store kind."""
    if not isinstance(cluster, dict):
        raise AnsibleFilterError("aws_kubernetes_lookups: the input must be a cluster of the aws plan "
                                 "(aws_plan.clusters[name]), got %s" % type(cluster).__name__)
    return _aws.kubernetes_lookups(cluster)


def aws_kubernetes_objects(cluster, found, certificate=None):
    """{definitions, missing}: a cluster's IRSA annotations, AWS ClusterSecretStores and the ingress certificate's
    annotations (see _aws)."""
    if certificate is not None and not isinstance(certificate, dict):
        raise AnsibleFilterError("aws_kubernetes_objects: certificate must be {arn, names} or null, got %s"
                                 % type(certificate).__name__)
    try:
        return _aws.kubernetes_objects(cluster, found, certificate or None)
    except (ValueError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("aws_kubernetes_objects: %s" % exc)


def aws_issued_certificate(certificates, acm=None):
    """{arn, names} of the issued ingress certificate, or None (see _aws.issued_certificate)."""
    if not isinstance(certificates, list):
        raise AnsibleFilterError("aws_issued_certificate: the input must be the certificates of "
                                 "community.aws.acm_certificate_info, got %s" % type(certificates).__name__)
    return _aws.issued_certificate(certificates, acm if isinstance(acm, dict) else None)


def aws_environment_images(environments, topology, aws, image, namespace_prefix="krci-"):
    """The promotion plan's environments, each with the image repository its manifests name (see
    _aws.environment_images); without an aws block, ``image`` everywhere."""
    if not isinstance(environments, list):
        raise AnsibleFilterError("aws_environment_images: the input must be the promotion plan's environments, got %s"
                                 % type(environments).__name__)
    if not aws:
        return [dict(e, image=image) for e in environments]
    derived = _aws.plan([dict(c) for c in topology or []], aws, namespace_prefix or "krci-")
    if derived["errors"]:
        raise AnsibleFilterError("aws_environment_images: invalid aws block: %s" % "; ".join(derived["errors"]))
    return _aws.environment_images(derived, environments, image)


def eks_kubeconfig(cluster, eks, python, script):
    """A kubeconfig of the EKS cluster whose user makes a token at each use (see _eks_token)."""
    if not isinstance(cluster, dict) or not isinstance(eks, dict) or not eks.get("endpoint"):
        raise AnsibleFilterError("eks_kubeconfig: pass a cluster of the aws plan and the EKS cluster "
                                 "(community.aws.eks_cluster's result, with endpoint and certificate_authority)")
    return _eks_token.kubeconfig(cluster["eks"]["name"], eks["endpoint"],
                                 (eks.get("certificate_authority") or {}).get("data", ""), cluster["region"], python,
                                 script, role_arn=cluster.get("account_role_arn"),
                                 endpoint_url=cluster.get("endpoint_url"), context=cluster["eks"]["name"])


class FilterModule(object):
    def filters(self):
        return {"aws_plan": aws_plan, "irsa_trust_policy": irsa_trust_policy, "aws_kms_policy": aws_kms_policy,
                "aws_vault_seal": aws_vault_seal,
                "aws_kubernetes_lookups": aws_kubernetes_lookups, "aws_kubernetes_objects": aws_kubernetes_objects,
                "aws_issued_certificate": aws_issued_certificate, "aws_environment_images": aws_environment_images,
                "eks_kubeconfig": eks_kubeconfig}
