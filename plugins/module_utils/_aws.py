# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform on AWS (seed 001), derived once from the topology and the inventory's ``aws`` block.

For internal collection use only. Pure Python, no Ansible or boto3 imports: the ``aws_plan`` filter, the aws
role (through it) and the unit tests read the same derivation.

Accounts are inventory data: each has a 12-digit id, the role the automation assumes in it (or none: the
controller's own credentials are that account's) and the clusters it holds. Every cluster of an account is an EKS
cluster of that account; a cluster in no account is not on AWS (a hybrid topology). The account that holds
production holds no platform or push-target cluster, so no credential the platform side uses can reach it.

Per cluster the plan gives the account, region, the EKS cluster (name, pinned Kubernetes version, its VPC and
subnets or the given subnets, managed node groups, the IAM roles of the control plane and the nodes), the IRSA
roles of the platform's controllers (each bound to exactly one ServiceAccount, with a least-privilege policy) and
the External Secrets stores of the environments whose secrets live in Parameter Store or Secrets Manager.
``plan()`` never raises on bad input: ``errors`` names each field and the fix, and the role stops before any write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.krci.platform.plugins.module_utils._topology import ENVIRONMENTS

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Commercial, China, GovCloud and ISO partitions: eu-central-1, us-gov-west-1, cn-north-1, us-isob-east-1.
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):role/([\w+=,.@/-]+)$")
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# An EKS cluster or node group name: letters, digits, '-' and '_', starting with a letter or digit, at most 100.
EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
# An IAM role name: at most 64 characters of [\w+=,.@-].
IAM_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
# A Parameter Store / Secrets Manager path prefix: /segment[/segment...], no trailing '/'.
PATH_PREFIX = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")

# The Kubernetes versions the collection's EKS clusters may run (EKS standard support), and the pinned default.
EKS_VERSIONS = ("1.32", "1.33", "1.34")
EKS_VERSION = "1.33"
NODE_GROUP = {"name": "default", "instance_types": ["m6i.large"], "min_size": 2, "desired_size": 2, "max_size": 4,
              "disk_size": 50}
AVAILABILITY_ZONES = ("a", "b")

VAULT = "vault"
PARAMETER_STORE = "aws_parameter_store"
SECRETS_MANAGER = "aws_secrets_manager"
SECRETS_BACKENDS = (VAULT, PARAMETER_STORE, SECRETS_MANAGER)
# External Secrets' AWS provider service of each backend.
ESO_SERVICES = {PARAMETER_STORE: "ParameterStore", SECRETS_MANAGER: "SecretsManager"}

# The platform's controllers that reach AWS, each through an IRSA role bound to exactly its ServiceAccount.
# external-secrets: on a cluster with an environment whose secrets live in AWS; reads only those environments' paths.
# cert-manager: where the cluster has a Route 53 zone (DNS-01 for its certificates); changes records of that zone.
# vault: on the cluster given as vault_kms_cluster; uses only Vault's KMS key (auto-unseal).
CONTROLLERS = {
    "external-secrets": {"namespace": "external-secrets", "service_account": "external-secrets",
                         "workload": {"kind": "Deployment", "name": "external-secrets"}},
    "cert-manager": {"namespace": "cert-manager", "service_account": "cert-manager",
                     "workload": {"kind": "Deployment", "name": "cert-manager"}},
    # The OpenBao the vault role installs (its ServiceAccount and StatefulSet).
    "vault": {"namespace": "vault", "service_account": "openbao",
              "workload": {"kind": "StatefulSet", "name": "openbao"}},
}
# The annotations: the EKS pod identity webhook gives pods of an annotated ServiceAccount that role's web identity
# token; the workload's pod template names the role too, so a changed role restarts its pods onto it.
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
POD_ROLE_ANNOTATION = "krci.platform/irsa-role-arn"
FIELD_MANAGER = "krci-platform-aws"
STS_AUDIENCE = "sts.amazonaws.com"

AWS_KEYS = ("region", "endpoint_url", "accounts", "eks", "secrets_backends", "secrets_path_prefix", "irsa",
            "role_prefix", "hosted_zones", "vault_kms_cluster", "ecr", "acm")
ECR_KEYS = ("prefix", "repositories", "keep_images", "untagged_days")
ECR_DEFAULTS = {"prefix": "krci/", "repositories": [], "keep_images": 50, "untagged_days": 14}
# An ECR repository name: lower-case path segments of letters, digits, '.', '_' and '-', at most 256.
ECR_NAME = re.compile(r"^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ACCOUNT_KEYS = ("id", "role_arn", "clusters", "registry")
# A registry host[:port]: DNS name or IPv4, as images name it.
REGISTRY_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")
EKS_KEYS = ("name", "version", "region", "vpc_cidr", "subnets", "node_groups")
NODE_GROUP_KEYS = tuple(NODE_GROUP)
DEFAULTS = {"secrets_path_prefix": "/krci", "role_prefix": "krci-"}


def _partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def oidc_provider_arn(account_id, issuer, partition="aws"):
    """The ARN of the IAM OIDC identity provider of an issuer URL (https:// dropped, as IAM names it)."""
    return "arn:%s:iam::%s:oidc-provider/%s" % (partition, account_id, _issuer_host_path(issuer))


def _issuer_host_path(issuer):
    return re.sub(r"^https://", "", str(issuer or "")).rstrip("/")


def irsa_trust_policy(account_id, issuer, namespace, service_account, partition="aws"):
    """The web-identity trust policy of an IRSA role: exactly one ServiceAccount of one cluster's issuer, for STS."""
    provider = _issuer_host_path(issuer)
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn(account_id, issuer, partition)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "%s:sub" % provider: "system:serviceaccount:%s:%s" % (namespace, service_account),
                "%s:aud" % provider: STS_AUDIENCE,
            }},
        }],
    }


def service_trust_policy(service):
    """The trust policy of a role an AWS service assumes (eks.amazonaws.com, ec2.amazonaws.com)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def plan(topology, aws, namespace_prefix="krci-", applications=None):
    """The AWS plan of a resolved topology (``krci_topology``) and the inventory's ``aws`` block (``krci_aws``);
    ``applications`` (``krci_applications``) name the ECR repositories besides ``aws.ecr.repositories``."""
    clusters = {c["name"]: c for c in topology or []}
    if aws in (None, {}):
        return {"enabled": False, "errors": [], "accounts": {}, "clusters": {}}
    if not isinstance(aws, dict):
        return {"enabled": False, "errors": ["aws: must be a mapping (region, accounts, eks, ...)"], "accounts": {},
                "clusters": {}}
    errors = []
    unknown = sorted(set(aws) - set(AWS_KEYS))
    if unknown:
        errors.append("aws: unknown key(s) %s; allowed: %s" % (", ".join(map(str, unknown)), ", ".join(AWS_KEYS)))
    settings = dict(DEFAULTS, **{k: v for k, v in aws.items() if v is not None})
    region = settings.get("region")
    if not isinstance(region, str) or not REGION.match(region):
        errors.append("aws.region: %r is not an AWS region (for example eu-central-1)" % (region,))
        region = None
    endpoint = settings.get("endpoint_url")
    if endpoint is not None and not (isinstance(endpoint, str) and re.match(r"^https?://[^/\s]+/?$", endpoint)):
        errors.append("aws.endpoint_url: %r must be http(s)://host[:port] (a VPC endpoint, or moto in tests)"
                      % (endpoint,))
    prefix = settings["role_prefix"]
    if not isinstance(prefix, str) or not re.match(r"^[\w+=,.@-]{0,32}$", prefix):
        errors.append("aws.role_prefix: %r; IAM role names allow letters, digits and +=,.@_- (at most 32 here)"
                      % (prefix,))
        prefix = DEFAULTS["role_prefix"]

    accounts, owner, account_errors = _accounts(settings.get("accounts"), clusters)
    errors.extend(account_errors)
    errors.extend(_isolation(accounts, clusters))
    eks, eks_errors = _eks(settings.get("eks"), owner, clusters, region)
    errors.extend(eks_errors)
    backends, backend_errors = _backends(settings.get("secrets_backends"), clusters, owner)
    errors.extend(backend_errors)
    path_prefix = settings["secrets_path_prefix"]
    if not isinstance(path_prefix, str) or not PATH_PREFIX.match(path_prefix):
        errors.append("aws.secrets_path_prefix: %r must be /segment[/segment...] (letters, digits, '_', '.', '-')"
                      % (path_prefix,))
        path_prefix = DEFAULTS["secrets_path_prefix"]
    zones, zone_errors = _hosted_zones(settings.get("hosted_zones"), owner)
    errors.extend(zone_errors)
    acm, acm_errors = _acm(settings.get("acm"), owner, zones, prefix, clusters)
    errors.extend(acm_errors)
    kms_cluster = settings.get("vault_kms_cluster")
    if kms_cluster is not None and kms_cluster not in owner:
        errors.append("aws.vault_kms_cluster: %r is not a cluster of an AWS account (%s)"
                      % (kms_cluster, ", ".join(sorted(owner)) or "none"))
    elif kms_cluster is not None and clusters[kms_cluster].get("role") != "platform":
        errors.append("aws.vault_kms_cluster: %r is a %s cluster; Vault runs on the platform cluster, so its "
                      "auto-unseal key and role belong there (%s)"
                      % (kms_cluster, clusters[kms_cluster].get("role"),
                         ", ".join(sorted(c for c in owner if clusters[c].get("role") == "platform")) or "none"))
    irsa_extra, irsa_errors = _irsa_extra(settings.get("irsa"))
    errors.extend(irsa_errors)
    cidr_errors = _check_cidrs(eks)
    errors.extend(cidr_errors)
    ecr, ecr_errors = _ecr(settings.get("ecr"), applications)
    errors.extend(ecr_errors)
    # Each account's registry is made by one host: the account's first cluster that carries environments (else its
    # first cluster); an account without clusters has no registry here.
    registry_hosts = {}
    for name in sorted(owner):
        first = registry_hosts.get(owner[name])
        if first is None or (not clusters[first].get("environments") and clusters[name].get("environments")):
            registry_hosts[owner[name]] = name

    result_clusters = {}
    for name in sorted(owner):
        account = accounts[owner[name]]
        cluster_region = eks[name]["region"] if name in eks else region
        if not cluster_region or name not in eks:
            continue
        partition = _partition(cluster_region)
        arn_prefix = "arn:%s:iam::%s:role/" % (partition, account["id"])
        envs = [e for e in ENVIRONMENTS if e in (clusters[name].get("environments") or [])]
        aws_envs = [e for e in envs if backends.get(e, VAULT) != VAULT]
        controllers = []
        if aws_envs:
            controllers.append(("external-secrets", _eso_policy(aws_envs, backends, path_prefix, cluster_region,
                                                                account["id"], partition)))
        if name in zones:
            controllers.append(("cert-manager", _route53_policy(zones[name], partition)))
        if name == kms_cluster:
            controllers.append(("vault", None))  # the KMS key's ARN is known once the key exists: see kms_policy
        irsa = []
        for controller, policy in controllers:
            role_name = "%s%s-%s" % (prefix, name, controller)
            if not IAM_ROLE_NAME.match(role_name):
                errors.append("clusters.%s: the IRSA role name %s is longer than IAM's 64 characters; shorten the "
                              "cluster name or aws.role_prefix" % (name, role_name))
            sa = CONTROLLERS[controller]
            irsa.append({
                "controller": controller, "namespace": sa["namespace"], "service_account": sa["service_account"],
                "workload": dict(sa["workload"]), "role_name": role_name, "role_arn": arn_prefix + role_name, "policy": policy,
                "policy_arns": sorted(irsa_extra.get("%s/%s" % (sa["namespace"], sa["service_account"]), [])),
            })
        for role_name in ("%s%s-eks-cluster" % (prefix, name), "%s%s-eks-nodes" % (prefix, name)):
            if not IAM_ROLE_NAME.match(role_name):
                errors.append("clusters.%s: the IAM role name %s is longer than IAM's 64 characters; shorten the "
                              "cluster name or aws.role_prefix" % (name, role_name))
        stores = []
        for env in aws_envs:
            stores.append({
                "name": "aws-%s" % env, "environment": env, "namespace": namespace_prefix + env,
                "backend": backends[env], "service": ESO_SERVICES[backends[env]],
                "path": secret_path(path_prefix, env, backends[env]), "region": cluster_region,
                "role_arn": arn_prefix + "%s%s-external-secrets" % (prefix, name),
                "service_account": {"namespace": CONTROLLERS["external-secrets"]["namespace"],
                                    "name": CONTROLLERS["external-secrets"]["service_account"]},
            })
        entry_eks = dict(eks[name])
        entry_eks["cluster_role"] = {"name": "%s%s-eks-cluster" % (prefix, name),
                                     "arn": arn_prefix + "%s%s-eks-cluster" % (prefix, name),
                                     "trust": service_trust_policy("eks.amazonaws.com"),
                                     "policy_arns": ["arn:%s:iam::aws:policy/AmazonEKSClusterPolicy" % partition]}
        entry_eks["node_role"] = {"name": "%s%s-eks-nodes" % (prefix, name),
                                  "arn": arn_prefix + "%s%s-eks-nodes" % (prefix, name),
                                  "trust": service_trust_policy("ec2.amazonaws.com"),
                                  "policy_arns": ["arn:%s:iam::aws:policy/%s" % (partition, p) for p in (
                                      "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                                      "AmazonEKS_CNI_Policy")]}
        # The automation role administers the cluster through an EKS access entry (without a role, the controller's
        # own identity created the cluster and EKS made it the cluster's creator-admin).
        entry_eks["access_entries"] = [{
            "principal_arn": account["role_arn"],
            "access_policies": [{"policy_arn": "arn:%s:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
                                               % partition, "namespaces": []}]}] if account["role_arn"] else []
        result_clusters[name] = {
            "account": owner[name],
            "account_id": account["id"],
            "account_role_arn": account["role_arn"],
            "partition": partition,
            "region": cluster_region,
            "endpoint_url": endpoint,
            "eks": entry_eks,
            "irsa": irsa,
            "secret_stores": stores,
            "registry": account["registry"] or "%s.dkr.ecr.%s.amazonaws.com" % (account["id"], cluster_region),
            # The cluster's ingress certificate in ACM (aws.acm), or None.
            "acm": acm.get(name),
            # Vault's auto-unseal key, in the account of the cluster Vault runs on (aws.vault_kms_cluster).
            "vault_kms": vault_kms(name, prefix, account["id"], partition, cluster_region, endpoint,
                                   arn_prefix + "%s%s-vault" % (prefix, name)) if name == kms_cluster else None,
            # The account's ECR repositories, made by this cluster's host when it is the account's registry host.
            "ecr_repositories": [dict(r, policy=ecr_policy(account["id"], partition)) for r in ecr["repositories"]]
            if registry_hosts.get(owner[name]) == name else [],
        }
    return {
        "enabled": True,
        "errors": errors,
        "region": region,
        "endpoint_url": endpoint,
        "secrets_path_prefix": path_prefix,
        "secrets_backends": dict((env, backends.get(env, VAULT)) for env in ENVIRONMENTS
                                 if any(env in (c.get("environments") or []) for c in clusters.values())),
        "accounts": dict((name, {"id": a["id"], "role_arn": a["role_arn"], "clusters": a["clusters"]})
                         for name, a in sorted(accounts.items())),
        "clusters": result_clusters,
    }


def _accounts(declared, clusters):
    """({name: {id, role_arn, clusters}}, {cluster: account}, errors)."""
    errors, accounts, owner = [], {}, {}
    if not isinstance(declared, dict) or not declared:
        return {}, {}, ["aws.accounts: must map each account's name to its id, role_arn and clusters (the seed's "
                        "production, shared and development)"]
    ids = {}
    for name in sorted(declared, key=str):
        spec = declared[name]
        field = "aws.accounts.%s" % name
        if not ACCOUNT_NAME.match(str(name)):
            errors.append("%s: the account name must be lower-case letters, digits and '-' (at most 32)" % field)
        if not isinstance(spec, dict):
            errors.append("%s: must be a mapping of %s" % (field, ", ".join(ACCOUNT_KEYS)))
            continue
        unknown = sorted(set(spec) - set(ACCOUNT_KEYS))
        if unknown:
            errors.append("%s: unknown key(s) %s; allowed: %s" % (field, ", ".join(unknown), ", ".join(ACCOUNT_KEYS)))
        account_id = spec.get("id")
        if isinstance(account_id, int) and not isinstance(account_id, bool):
            errors.append("%s.id: %s is a number; quote it (\"%012d\"), since an account id may start with 0"
                          % (field, account_id, account_id))
            continue
        if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
            errors.append("%s.id: %r is not an AWS account id (12 digits, quoted)" % (field, account_id))
            continue
        if account_id in ids:
            errors.append("%s.id: %s is also the id of aws.accounts.%s; each account is declared once"
                          % (field, account_id, ids[account_id]))
        ids.setdefault(account_id, name)
        role_arn = spec.get("role_arn")
        if role_arn is not None:
            match = ROLE_ARN.match(str(role_arn))
            if not match:
                errors.append("%s.role_arn: %r is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)"
                              % (field, role_arn))
            elif match.group(2) != account_id:
                errors.append("%s.role_arn: %s is a role of account %s, not of %s; the automation assumes a role "
                              "in the account it works in" % (field, role_arn, match.group(2), account_id))
        members = spec.get("clusters") or []
        if not isinstance(members, list):
            errors.append("%s.clusters: must be a list of cluster names" % field)
            members = []
        for cluster in members:
            if cluster not in clusters:
                errors.append("%s.clusters: %r is not a cluster of the topology (%s)"
                              % (field, cluster, ", ".join(sorted(clusters))))
            elif cluster in owner:
                errors.append("clusters.%s: in two AWS accounts, %s and %s; a cluster lives in exactly one account"
                              % (cluster, owner[cluster], name))
            else:
                owner[cluster] = name
        members = sorted(m for m in members if m in clusters)
        registry = spec.get("registry")
        if registry is not None and not (isinstance(registry, str) and REGISTRY_HOST.match(registry)):
            errors.append("%s.registry: %r must be a registry host[:port] (the account's ECR registry when reached by "
                          "another name)" % (field, registry))
            registry = None
        accounts[name] = {"id": account_id, "role_arn": role_arn, "clusters": members, "registry": registry}
    return accounts, owner, errors


def _isolation(accounts, clusters):
    """The account of production holds no cluster the platform side reaches (platform, workloads, push targets)."""
    errors = []
    for name, account in sorted(accounts.items()):
        roles = dict((c, clusters[c].get("role")) for c in account["clusters"])
        production = sorted(c for c, role in roles.items() if role == "production")
        push_side = sorted(c for c, role in roles.items()
                           if role in ("platform", "workloads") or clusters[c].get("gitops") == "push")
        if production and push_side:
            errors.append("aws.accounts.%s: holds production (%s) and %s; the platform side's credentials for "
                          "this account would reach production: move %s to another account"
                          % (name, ", ".join(production), ", ".join(push_side), ", ".join(push_side)))
    return errors


def _eks(declared, owner, clusters, region):
    """({cluster: eks settings with defaults}, errors) for every cluster of an account."""
    declared = declared if declared is not None else {}
    errors, result = [], {}
    if not isinstance(declared, dict):
        return {}, ["aws.eks: must map cluster names to their EKS settings (%s)" % ", ".join(EKS_KEYS)]
    for name in sorted(declared, key=str):
        if name not in owner:
            errors.append("aws.eks.%s: %s is in no AWS account; list it in one account's clusters, or remove it"
                          % (name, name))
    for index, name in enumerate(sorted(owner)):
        spec = declared.get(name) or {}
        field = "aws.eks.%s" % name
        if not isinstance(spec, dict):
            errors.append("%s: must be a mapping of %s" % (field, ", ".join(EKS_KEYS)))
            continue
        unknown = sorted(set(spec) - set(EKS_KEYS))
        if unknown:
            errors.append("%s: unknown key(s) %s; allowed: %s" % (field, ", ".join(unknown), ", ".join(EKS_KEYS)))
        if clusters[name].get("flavour") == "openshift":
            errors.append("clusters.%s.flavour: openshift, but it is in AWS account %s, where it is an EKS cluster "
                          "(plain Kubernetes); remove it from the account or the flavour" % (name, owner[name]))
        eks_name = spec.get("name") or "krci-%s" % name
        if not EKS_NAME.match(str(eks_name)):
            errors.append("%s.name: %r; an EKS cluster name is letters, digits, '-' and '_' (at most 100)"
                          % (field, eks_name))
        version = str(spec.get("version") or EKS_VERSION)
        if version not in EKS_VERSIONS:
            errors.append("%s.version: %r is not a Kubernetes version this collection supports on EKS (%s)"
                          % (field, spec.get("version"), ", ".join(EKS_VERSIONS)))
        cluster_region = spec.get("region") or region
        if cluster_region is not None and (not isinstance(cluster_region, str) or not REGION.match(cluster_region)):
            errors.append("%s.region: %r is not an AWS region (for example eu-central-1)" % (field, cluster_region))
            cluster_region = None
        subnets = spec.get("subnets")
        vpc_cidr = spec.get("vpc_cidr") or "10.%d.0.0/16" % (10 + index)
        network = None
        if subnets is not None:
            if not isinstance(subnets, list) or len(subnets) < 2 or not all(
                    isinstance(s, str) and re.match(r"^subnet-[0-9a-f]{8,17}$", s) for s in subnets):
                errors.append("%s.subnets: EKS needs at least two subnet ids (subnet-...) in different zones" % field)
            vpc_cidr = None
        else:
            try:
                network = ipaddress.ip_network(str(vpc_cidr))
                if network.version != 4 or not 16 <= network.prefixlen <= 24:
                    raise ValueError("an IPv4 network from /16 to /24")
            except ValueError as exc:
                errors.append("%s.vpc_cidr: %r: %s" % (field, vpc_cidr, exc))
                network = None
        node_groups, group_errors = _node_groups(spec.get("node_groups"), field)
        errors.extend(group_errors)
        if cluster_region is None:
            continue
        generated = []
        if network is not None:
            halves = list(network.subnets(prefixlen_diff=2))
            generated = [{"cidr": str(halves[i]), "zone": cluster_region + zone, "name": "%s-%s" % (eks_name, zone)}
                         for i, zone in enumerate(AVAILABILITY_ZONES)]
        result[name] = {"name": eks_name, "version": version, "region": cluster_region, "vpc_cidr": vpc_cidr,
                        "subnet_ids": list(subnets or []), "subnets": generated, "node_groups": node_groups}
    return result, errors


def _node_groups(declared, field):
    if declared is None:
        return [dict(NODE_GROUP)], []
    if not isinstance(declared, list) or not declared:
        return [], ["%s.node_groups: must be a non-empty list of node groups (%s)" % (field, ", ".join(NODE_GROUP_KEYS))]
    errors, groups, names = [], [], set()
    for index, spec in enumerate(declared):
        where = "%s.node_groups[%d]" % (field, index)
        if not isinstance(spec, dict):
            errors.append("%s: must be a mapping of %s" % (where, ", ".join(NODE_GROUP_KEYS)))
            continue
        unknown = sorted(set(spec) - set(NODE_GROUP_KEYS))
        if unknown:
            errors.append("%s: unknown key(s) %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(NODE_GROUP_KEYS)))
        group = dict(NODE_GROUP, **{k: v for k, v in spec.items() if k in NODE_GROUP_KEYS and v is not None})
        if not EKS_NAME.match(str(group["name"])) or group["name"] in names:
            errors.append("%s.name: %r must be unique, letters, digits, '-' and '_'" % (where, group["name"]))
        names.add(group["name"])
        sizes = [group[k] for k in ("min_size", "desired_size", "max_size", "disk_size")]
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes) or not (
                0 <= group["min_size"] <= group["desired_size"] <= group["max_size"] and group["max_size"] >= 1):
            errors.append("%s: min_size <= desired_size <= max_size (integers, max_size at least 1)" % where)
        types = group["instance_types"]
        valid = isinstance(types, list) and types and all(isinstance(t, str) and INSTANCE_TYPE.match(t) for t in types)
        if not valid:
            errors.append("%s.instance_types: a list of EC2 instance types (for example m6i.large)" % where)
        groups.append(group)
    return groups, errors


def _check_cidrs(eks):
    """Generated VPCs are peered for non-production: their CIDRs must not overlap."""
    errors = []
    networks = []
    for name in sorted(eks):
        cidr = eks[name]["vpc_cidr"]
        if cidr:
            networks.append((name, ipaddress.ip_network(cidr)))
    for i, (name, network) in enumerate(networks):
        for other, other_network in networks[i + 1:]:
            if network.overlaps(other_network):
                errors.append("aws.eks.%s.vpc_cidr: %s overlaps aws.eks.%s.vpc_cidr %s; peered VPCs need distinct "
                              "ranges" % (other, other_network, name, network))
    return errors


def _backends(declared, clusters, owner):
    declared = declared or {}
    if not isinstance(declared, dict):
        return {}, ["aws.secrets_backends: must map environments to %s" % ", ".join(SECRETS_BACKENDS)]
    errors, result = [], {}
    placed = dict((env, name) for name, c in clusters.items() for env in c.get("environments") or [])
    for env in sorted(declared, key=str):
        backend = declared[env]
        field = "aws.secrets_backends.%s" % env
        if env not in placed:
            errors.append("%s: %r is not an environment of the topology (%s)"
                          % (field, env, ", ".join(e for e in ENVIRONMENTS if e in placed)))
            continue
        if backend not in SECRETS_BACKENDS:
            errors.append("%s: unknown secrets backend %r; choose %s" % (field, backend, ", ".join(SECRETS_BACKENDS)))
            continue
        if backend != VAULT and placed[env] not in owner:
            errors.append("%s: %s, but %s's cluster %s is in no AWS account; its store reads the account it runs in"
                          % (field, backend, env, placed[env]))
            continue
        result[env] = backend
    return result, errors


def _hosted_zones(declared, owner):
    declared = declared or {}
    if not isinstance(declared, dict):
        return {}, ["aws.hosted_zones: must map cluster names to their Route 53 hosted zone id"]
    errors, result = [], {}
    for name in sorted(declared, key=str):
        zone = declared[name]
        if name not in owner:
            errors.append("aws.hosted_zones.%s: %s is in no AWS account" % (name, name))
        elif not isinstance(zone, str) or not re.match(r"^[0-9A-Z]{1,32}$", zone):
            errors.append("aws.hosted_zones.%s: %r is not a Route 53 hosted zone id (upper-case letters and digits, "
                          "as Z0123456789ABC; not the zone's name)" % (name, zone))
        else:
            result[name] = zone
    return result, errors


ACM_KEYS = ("domain_name", "subject_alternative_names", "import", "ingresses")
# The collection's endpoint Ingresses on the platform cluster (the keycloak and vault roles' defaults): what a platform
# cluster's ACM certificate is put on when aws.acm.<cluster>.ingresses does not say.
PLATFORM_INGRESSES = ["keycloak/keycloak", "vault/openbao"]
# namespace/name of an Ingress: a DNS label, then a DNS subdomain.
INGRESS_REF = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# The AWS Load Balancer Controller's listener annotations an ACM certificate needs (TLS 1.3/1.2 policy).
ALB_CERTIFICATE_ARN = "alb.ingress.kubernetes.io/certificate-arn"
ALB_LISTENER = {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]',
                "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}
ACM_IMPORT_KEYS = ("certificate", "private_key", "certificate_chain")
DNS_NAME = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _acm(declared, owner, zones, prefix, clusters):
    """Each cluster's ingress certificate in ACM: requested for its names (validated in its hosted zone when it has
    one), or imported from the controller's files, and the Ingresses (namespace/name) it is put on: by default the
    collection's on a platform cluster. {cluster: entry}, errors."""
    declared = declared or {}
    if not isinstance(declared, dict):
        return {}, ["aws.acm: must map cluster names to {domain_name, subject_alternative_names} or {import: ...}"]
    errors, result = [], {}
    for name in sorted(declared, key=str):
        spec = declared[name]
        field = "aws.acm.%s" % name
        if name not in owner:
            errors.append("%s: %s is in no AWS account" % (field, name))
            continue
        if not isinstance(spec, dict):
            errors.append("%s: must be {domain_name, subject_alternative_names} or {import: {%s}}"
                          % (field, ", ".join(ACM_IMPORT_KEYS)))
            continue
        unknown = sorted(set(spec) - set(ACM_KEYS))
        if unknown:
            errors.append("%s: unknown key(s) %s; allowed: %s"
                          % (field, ", ".join(map(str, unknown)), ", ".join(ACM_KEYS)))
        imported = spec.get("import")
        ingresses = spec.get("ingresses")
        if ingresses is None:
            ingresses = PLATFORM_INGRESSES if clusters[name].get("role") == "platform" else []
        if not isinstance(ingresses, list) or not all(isinstance(i, str) and INGRESS_REF.match(i) for i in ingresses):
            errors.append("%s.ingresses: %r must be a list of namespace/name of Ingresses (DNS labels)"
                          % (field, ingresses))
            ingresses = []
        entry = {"name": "%s%s-ingress" % (prefix, name), "domain_name": None, "subject_alternative_names": [],
                 "hosted_zone_id": zones.get(name), "import": None,
                 "ingresses": [dict(zip(("namespace", "name"), i.split("/"))) for i in sorted(set(ingresses))]}
        if imported is not None:
            if spec.get("domain_name") or spec.get("subject_alternative_names"):
                errors.append("%s: either import a certificate or request one for domain_name, not both" % field)
            if not isinstance(imported, dict) or not all(isinstance(imported.get(k), str) and imported[k]
                                                         for k in ("certificate", "private_key")):
                errors.append("%s.import: give the controller's PEM files certificate and private_key (and "
                              "certificate_chain)" % field)
            else:
                entry["import"] = dict((k, imported[k]) for k in ACM_IMPORT_KEYS if imported.get(k))
        else:
            domain = spec.get("domain_name")
            names = spec.get("subject_alternative_names") or []
            if not isinstance(names, list):
                errors.append("%s.subject_alternative_names: must be a list of DNS names" % field)
                names = []
            bad = [n for n in [domain] + names if not isinstance(n, str) or not DNS_NAME.match(n)]
            if bad:
                errors.append("%s: %s not a DNS name (lower case; a leading '*.' for a wildcard)"
                              % (field, ", ".join(repr(n) for n in bad) + (" is" if len(bad) == 1 else " are")))
            entry.update(domain_name=domain, subject_alternative_names=sorted(set(n for n in names if n != domain)))
        result[name] = entry
    return result, errors


def _irsa_extra(declared):
    """Managed policies added to a controller's IRSA role, keyed by its ServiceAccount (namespace/name)."""
    declared = declared or {}
    known = sorted("%s/%s" % (c["namespace"], c["service_account"]) for c in CONTROLLERS.values())
    if not isinstance(declared, dict):
        return {}, ["aws.irsa: must map ServiceAccounts (namespace/name) to {policy_arns: [...]}"]
    errors, result = [], {}
    for key in sorted(declared, key=str):
        spec = declared[key]
        if key not in known:
            errors.append("aws.irsa.%s: the plan knows no IRSA role for ServiceAccount %s; the platform's are %s"
                          % (key, key, ", ".join(known)))
            continue
        arns = (spec or {}).get("policy_arns") if isinstance(spec, dict) else None
        if not isinstance(arns, list) or not all(isinstance(a, str) and re.match(r"^arn:[\w-]+:iam::(\d{12}|aws):policy/", a)
                                                 for a in arns):
            errors.append("aws.irsa.%s.policy_arns: a list of IAM policy ARNs" % key)
            continue
        result[key] = arns
    return result, errors


def _eso_policy(envs, backends, path_prefix, region, account_id, partition):
    """Read-only access to exactly the environments' paths, in the cluster's own account and region."""
    statements = []
    parameters = ["arn:%s:ssm:%s:%s:parameter%s/%s" % (partition, region, account_id, path_prefix, env)
                  for env in envs if backends[env] == PARAMETER_STORE]
    if parameters:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow",
                           "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                           "Resource": sorted(parameters + [p + "/*" for p in parameters])})
    secrets = ["arn:%s:secretsmanager:%s:%s:secret:%s/*"
               % (partition, region, account_id, secret_path(path_prefix, env, SECRETS_MANAGER))
               for env in envs if backends[env] == SECRETS_MANAGER]
    if secrets:
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow",
                           "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                           "Resource": sorted(secrets)})
    return {"Version": "2012-10-17", "Statement": statements}


def _route53_policy(zone, partition):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ChangeRecords", "Effect": "Allow",
         "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
         "Resource": ["arn:%s:route53:::hostedzone/%s" % (partition, zone)]},
        {"Sid": "WatchChanges", "Effect": "Allow", "Action": ["route53:GetChange"],
         "Resource": ["arn:%s:route53:::change/*" % partition]},
        {"Sid": "FindZone", "Effect": "Allow", "Action": ["route53:ListHostedZonesByName"], "Resource": ["*"]},
    ]}


def secret_path(path_prefix, env, backend):
    """Where an environment's secrets live: /krci/<env> in Parameter Store, krci/<env> in Secrets Manager (whose
    names conventionally have no leading '/')."""
    path = "%s/%s" % (path_prefix, env)
    return path.lstrip("/") if backend == SECRETS_MANAGER else path


def _ecr(declared, applications):
    """({repositories: [{name, lifecycle}]}, errors): the repositories of aws.ecr and of the applications."""
    declared = declared if declared is not None else {}
    if not isinstance(declared, dict):
        return {"repositories": []}, ["aws.ecr: must be a mapping of %s" % ", ".join(ECR_KEYS)]
    errors = []
    unknown = sorted(set(declared) - set(ECR_KEYS))
    if unknown:
        errors.append("aws.ecr: unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(ECR_KEYS)))
    settings = dict(ECR_DEFAULTS, **{k: v for k, v in declared.items() if v is not None})
    for field in ("keep_images", "untagged_days"):
        value = settings[field]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append("aws.ecr.%s: %r must be a positive integer" % (field, value))
            settings[field] = ECR_DEFAULTS[field]
    names = settings["repositories"]
    if not isinstance(names, list):
        errors.append("aws.ecr.repositories: must be a list of repository names")
        names = []
    names = list(names) + [a.get("name") for a in applications or [] if isinstance(a, dict) and a.get("name")]
    prefix = settings["prefix"]
    if not isinstance(prefix, str) or (prefix and not ECR_NAME.match(prefix.rstrip("/") or "x")):
        errors.append("aws.ecr.prefix: %r must be lower-case path segments ending in '/' (for example krci/)" % (prefix,))
        prefix = ECR_DEFAULTS["prefix"]
    repositories = []
    for name in sorted(set(str(n) for n in names)):
        full = prefix + name
        if not ECR_NAME.match(full):
            errors.append("aws.ecr.repositories: %s is not an ECR repository name (lower-case letters, digits, '.', "
                          "'_', '-' and '/')" % full)
            continue
        repositories.append({"name": full, "lifecycle": ecr_lifecycle(settings["untagged_days"],
                                                                      settings["keep_images"])})
    return {"repositories": repositories}, errors


def ecr_policy(account_id, partition="aws"):
    """Pull access for the repository's own account only: production's nodes pull from production's registry, and
    nothing outside an account pulls from it."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "PullWithinAccount", "Effect": "Allow",
        "Principal": {"AWS": "arn:%s:iam::%s:root" % (partition, account_id)}, "Action": list(ECR_PULL)}]}


def ecr_lifecycle(untagged_days, keep_images):
    """Untagged images expire after ``untagged_days``; at most ``keep_images`` images are kept."""
    return {"rules": [
        {"rulePriority": 1, "description": "untagged images expire",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": untagged_days},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": "keep the newest images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
         "action": {"type": "expire"}},
    ]}


def vault_kms(cluster, prefix, account_id, partition, region, endpoint, vault_role_arn):
    """Vault's auto-unseal key of ``cluster``: its alias, its key policy, and the seal the vault role configures.

    The key policy lets the account administer the key (as every KMS key policy must, or the key cannot be managed
    again) and lets only Vault's IRSA role use it; Vault's role policy (``kms_policy``) names this key alone. The seal
    names the key by its alias, so the vault role needs no AWS call to configure it."""
    alias = "alias/%s%s-vault-unseal" % (prefix, cluster)
    seal = {"type": "awskms", "region": region, "kms_key_id": alias}
    if endpoint:
        seal["endpoint"] = endpoint
    return {
        "alias": alias,
        "description": "krci.platform: auto-unseal of the Vault on %s" % cluster,
        "policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AccountAdministersTheKey", "Effect": "Allow",
             "Principal": {"AWS": "arn:%s:iam::%s:root" % (partition, account_id)},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "OnlyVaultUsesIt", "Effect": "Allow", "Principal": {"AWS": vault_role_arn},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
        ]},
        "vault_role_name": vault_role_arn.rsplit("/", 1)[1],
        "seal": seal,
    }


def vault_seal(topology, aws, cluster, namespace_prefix="krci-", applications=None):
    """The seal the vault role configures on ``cluster``'s Vault: AWS KMS auto-unseal ({type, region, kms_key_id[,
    endpoint]}) when the aws block puts Vault's key there, else {} (Shamir). Invalid aws blocks give {}: the aws role
    names their errors."""
    if not aws:
        return {}
    derived = plan(topology, aws, namespace_prefix, applications or [])
    kms = ((derived.get("clusters") or {}).get(cluster) or {}).get("vault_kms")
    return dict(kms["seal"]) if kms else {}


def kms_policy(key_arn):
    """Vault's auto-unseal: its one KMS key, nothing else."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "AutoUnseal", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
        "Resource": [key_arn]}]}


def kubernetes_lookups(cluster):
    """What ``kubernetes_objects`` needs read from the cluster first (krci.platform.k8s_objects_info's
    ``objects``): each IRSA ServiceAccount and its workload, and the ClusterSecretStore kind."""
    lookups = []
    for role in cluster.get("irsa") or []:
        lookups.append({"api_version": "v1", "kind": "ServiceAccount", "namespace": role["namespace"],
                        "name": role["service_account"]})
        lookups.append({"api_version": "apps/v1", "kind": role["workload"]["kind"], "namespace": role["namespace"],
                        "name": role["workload"]["name"]})
    for ingress in (cluster.get("acm") or {}).get("ingresses") or []:
        lookups.append({"api_version": "networking.k8s.io/v1", "kind": "Ingress", "namespace": ingress["namespace"],
                        "name": ingress["name"]})
    lookups.append({"api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "name": "clustersecretstores.external-secrets.io"})
    return lookups


def issued_certificate(certificates, acm):
    """{arn, names} of the cluster's ingress certificate among ``certificates`` (community.aws.acm_certificate_info's,
    tagged with its name), or None: the issued one for exactly the plan's names when it requests one (a superseded
    certificate keeps the tag until it is deleted), else the newest issued."""
    issued = [c for c in certificates or [] if c.get("status") == "ISSUED" and c.get("certificate_arn")]

    def names(cert):
        return sorted(set([cert.get("domain_name")] + list(cert.get("subject_alternative_names") or [])) - {None})
    if acm and acm.get("domain_name"):
        wanted = sorted(set([acm["domain_name"]] + list(acm.get("subject_alternative_names") or [])))
        issued = [c for c in issued if names(c) == wanted]
    if not issued:
        return None
    newest = max(issued, key=lambda c: str(c.get("issued_at") or c.get("imported_at") or c.get("created_at") or ""))
    return {"arn": newest["certificate_arn"], "names": names(newest)}


def environment_images(aws_plan, environments, image):
    """``environments`` (the promotion plan's, each with its ``cluster``), each with the ``image`` repository its
    manifests name: when ``image`` is in the ECR registry of one of the plan's accounts, an environment whose cluster
    lives in another account pulls the same path from its own account's registry, where the image is copied by
    digest before its promotion (playbooks/aws_copy_image.yml); every other environment names ``image``."""
    clusters = (aws_plan or {}).get("clusters") or {}
    host, _sep, path = (image or "").partition("/")
    source = next((c["account"] for _n, c in sorted(clusters.items()) if c["registry"] == host), None)
    result = []
    for env in environments or []:
        cluster = clusters.get(env.get("cluster"))
        copy = source is not None and cluster is not None and cluster["account"] != source
        result.append(dict(env, image="%s/%s" % (cluster["registry"], path) if copy else image))
    return result


def covers(names, host):
    """Whether a certificate for ``names`` serves ``host`` (a wildcard covers exactly one label)."""
    host = (host or "").lower()
    for name in names or []:
        name = name.lower()
        if name == host or (name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]):
            return True
    return False


def kubernetes_objects(cluster, found, certificate=None):
    """{definitions, missing} of one cluster's Kubernetes side of AWS, given what ``kubernetes_lookups`` found
    (``found``: the objects in that order, None where absent).

    ``definitions``, for server-side apply by the aws field manager: each existing IRSA ServiceAccount's role
    annotation and its workload's pod template annotation (only the annotations: the objects are the installer's),
    and a ClusterSecretStore per environment whose secrets live in AWS, usable only from that environment's
    namespace, reading only its path (``prefix``) through the External Secrets ServiceAccount's web identity
    (``auth.jwt``); each existing Ingress of ``acm.ingresses`` whose hosts the ACM ``certificate`` ({arn, names},
    read from ACM) covers gets the AWS Load Balancer Controller's certificate and HTTPS listener annotations.
    ``missing`` names what is not installed or not covered here (so nothing was written for it)."""
    found = list(found or [])
    lookups = kubernetes_lookups(cluster)
    if len(found) != len(lookups):
        raise ValueError("kubernetes_objects: %d objects read, %d expected (read them with kubernetes_lookups)"
                         % (len(found), len(lookups)))
    definitions, missing = [], []
    for index, role in enumerate(cluster.get("irsa") or []):
        account, workload = found[2 * index], found[2 * index + 1]
        name = "%s/%s" % (role["namespace"], role["service_account"])
        if account is None:
            missing.append("ServiceAccount %s (%s is not installed here; its role %s is not used)"
                           % (name, role["controller"], role["role_name"]))
            continue
        definitions.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
            "name": role["service_account"], "namespace": role["namespace"],
            "annotations": {ROLE_ANNOTATION: role["role_arn"]}}})
        if workload is None:
            missing.append("%s %s/%s (its pods cannot be restarted onto role %s)" % (
                role["workload"]["kind"], role["namespace"], role["workload"]["name"], role["role_name"]))
            continue
        definitions.append({"apiVersion": "apps/v1", "kind": role["workload"]["kind"], "metadata": {
            "name": role["workload"]["name"], "namespace": role["namespace"]},
            "spec": {"template": {"metadata": {"annotations": {POD_ROLE_ANNOTATION: role["role_arn"]}}}}})
    ingresses = (cluster.get("acm") or {}).get("ingresses") or []
    offset = 2 * len(cluster.get("irsa") or [])
    for index, ingress in enumerate(ingresses):
        name = "Ingress %s/%s" % (ingress["namespace"], ingress["name"])
        current = found[offset + index]
        if current is None:
            missing.append("%s (not installed here; the ingress certificate is not put on it)" % name)
            continue
        if not certificate or not certificate.get("arn"):
            missing.append("%s (the ingress certificate %s is not issued in ACM yet: run playbooks/aws.yml)"
                           % (name, cluster["acm"]["name"]))
            continue
        hosts = sorted(set(r.get("host") for r in (current.get("spec") or {}).get("rules") or [] if r.get("host")))
        uncovered = [h for h in hosts if not covers(certificate.get("names"), h)]
        if uncovered:
            missing.append("%s (its host(s) %s are not names of the ingress certificate %s: %s)" % (
                name, ", ".join(uncovered), cluster["acm"]["name"], ", ".join(certificate.get("names") or [])))
            continue
        annotations = dict(ALB_LISTENER)
        annotations[ALB_CERTIFICATE_ARN] = certificate["arn"]
        definitions.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
            "name": ingress["name"], "namespace": ingress["namespace"], "annotations": annotations}})
    stores = cluster.get("secret_stores") or []
    if stores and found[-1] is None:
        missing.append("the ClusterSecretStore kind (External Secrets is not installed here; stores %s not written)"
                       % ", ".join(s["name"] for s in stores))
        stores = []
    for store in stores:
        definitions.append({
            "apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
            "metadata": {"name": store["name"], "labels": {
                "app.kubernetes.io/part-of": "krci-platform", "krci.platform/environment": store["environment"]}},
            "spec": {
                "conditions": [{"namespaces": [store["namespace"]]}],
                "provider": {"aws": {
                    "service": store["service"], "region": store["region"], "prefix": store["path"] + "/",
                    "auth": {"jwt": {"serviceAccountRef": dict(store["service_account"])}}}}}})
    return {"definitions": definitions, "missing": missing}
