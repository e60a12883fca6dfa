"""The AWS plan: accounts, EKS clusters, IRSA roles and secret stores, derived once; every bad input named."""

import copy

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _aws, _topology

DEV, PROD, SHARED = "111111111111", "222222222222", "333333333333"
AWS = {
    "region": "eu-central-1",
    "accounts": {
        "development": {"id": DEV, "role_arn": "arn:aws:iam::%s:role/krci-automation" % DEV,
                        "clusters": ["platform", "workloads"]},
        "production": {"id": PROD, "role_arn": "arn:aws:iam::%s:role/krci-automation" % PROD,
                       "clusters": ["staging", "production"]},
        "shared": {"id": SHARED, "role_arn": "arn:aws:iam::%s:role/krci-automation" % SHARED},
    },
    "secrets_backends": {"dev": "aws_parameter_store", "staging": "aws_secrets_manager",
                         "production": "aws_secrets_manager"},
}


def topology(option="separated"):
    return _topology.clusters(option)


def aws_plan(aws=None, option="separated", **changes):
    settings = copy.deepcopy(AWS if aws is None else aws)
    settings.update(changes)
    return _aws.plan(topology(option), settings)


def test_no_aws_block_means_no_aws_plan():
    result = _aws.plan(topology(), None)
    assert result == {"enabled": False, "errors": [], "accounts": {}, "clusters": {}}


def test_each_cluster_gets_its_account_region_eks_cluster_and_roles():
    result = aws_plan()
    assert result["errors"] == []
    assert sorted(result["clusters"]) == ["platform", "production", "staging", "workloads"]
    production = result["clusters"]["production"]
    assert production["account"] == "production" and production["account_id"] == PROD
    assert production["account_role_arn"] == "arn:aws:iam::%s:role/krci-automation" % PROD
    assert production["registry"] == "%s.dkr.ecr.eu-central-1.amazonaws.com" % PROD
    eks = production["eks"]
    assert eks["name"] == "krci-production" and eks["version"] == _aws.EKS_VERSION
    assert eks["node_groups"] == [_aws.NODE_GROUP]
    assert [s["zone"] for s in eks["subnets"]] == ["eu-central-1a", "eu-central-1b"]
    assert eks["cluster_role"]["arn"] == "arn:aws:iam::%s:role/krci-production-eks-cluster" % PROD
    assert eks["cluster_role"]["trust"]["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}
    # Every role of a cluster lives in that cluster's own account.
    for cluster in result["clusters"].values():
        arns = [r["role_arn"] for r in cluster["irsa"]]
        arns += [cluster["eks"]["cluster_role"]["arn"], cluster["eks"]["node_role"]["arn"]]
        assert all(":%s:" % cluster["account_id"] in arn for arn in arns)


def test_generated_vpcs_are_distinct_and_split_into_two_zones():
    result = aws_plan()
    cidrs = [c["eks"]["vpc_cidr"] for c in result["clusters"].values()]
    assert len(set(cidrs)) == 4
    platform = result["clusters"]["platform"]["eks"]
    assert platform["vpc_cidr"] == "10.10.0.0/16"
    assert [s["cidr"] for s in platform["subnets"]] == ["10.10.0.0/18", "10.10.64.0/18"]


def test_external_secrets_reads_exactly_its_environments_paths_in_its_account():
    result = aws_plan()
    workloads = result["clusters"]["workloads"]
    [eso] = workloads["irsa"]
    assert (eso["controller"], eso["namespace"], eso["service_account"]) == (
        "external-secrets", "external-secrets", "external-secrets")
    assert eso["role_arn"] == "arn:aws:iam::%s:role/krci-workloads-external-secrets" % DEV
    [statement] = eso["policy"]["Statement"]
    assert statement["Resource"] == ["arn:aws:ssm:eu-central-1:%s:parameter/krci/dev" % DEV,
                                     "arn:aws:ssm:eu-central-1:%s:parameter/krci/dev/*" % DEV]
    assert [s["name"] for s in workloads["secret_stores"]] == ["aws-dev"]
    store = workloads["secret_stores"][0]
    assert (store["service"], store["path"], store["namespace"]) == ("ParameterStore", "/krci/dev", "krci-dev")
    production = result["clusters"]["production"]
    [statement] = production["irsa"][0]["policy"]["Statement"]
    assert statement["Resource"] == ["arn:aws:secretsmanager:eu-central-1:%s:secret:krci/production/*" % PROD]
    assert production["secret_stores"][0]["path"] == "krci/production"
    # Environments that keep Vault get no AWS store and the platform cluster (no environment) no role.
    assert result["clusters"]["platform"]["irsa"] == []
    assert result["secrets_backends"]["test"] == "vault"


def test_the_trust_policy_binds_one_service_account_of_one_issuer():
    issuer = "https://oidc.eks.eu-central-1.amazonaws.com/id/ABC"
    trust = _aws.irsa_trust_policy(DEV, issuer, "external-secrets", "external-secrets")
    [statement] = trust["Statement"]
    assert statement["Principal"]["Federated"] == (
        "arn:aws:iam::%s:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC" % DEV)
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks.eu-central-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:external-secrets:external-secrets",
        "oidc.eks.eu-central-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}


def test_cert_manager_and_vault_roles_only_where_asked():
    result = aws_plan(hosted_zones={"platform": "Z0123ABC"}, vault_kms_cluster="platform")
    assert result["errors"] == []
    roles = {r["controller"]: r for r in result["clusters"]["platform"]["irsa"]}
    assert sorted(roles) == ["cert-manager", "vault"]
    resources = [r for s in roles["cert-manager"]["policy"]["Statement"] for r in s["Resource"]]
    assert "arn:aws:route53:::hostedzone/Z0123ABC" in resources
    assert _aws.kms_policy("arn:aws:kms:eu-central-1:%s:key/k" % DEV)["Statement"][0]["Resource"] == [
        "arn:aws:kms:eu-central-1:%s:key/k" % DEV]


def test_the_plan_is_deterministic():
    assert aws_plan() == aws_plan()


def test_a_hybrid_topology_keeps_clusters_outside_aws():
    aws = copy.deepcopy(AWS)
    aws["accounts"]["development"]["clusters"] = ["workloads"]
    aws["accounts"]["production"]["clusters"] = ["production"]
    aws["secrets_backends"] = {"production": "aws_secrets_manager"}
    result = aws_plan(aws)
    assert result["errors"] == []
    assert sorted(result["clusters"]) == ["production", "workloads"]


def with_account(**account):
    aws = copy.deepcopy(AWS)
    aws["accounts"]["development"].update(account)
    return aws


@pytest.mark.parametrize("aws, message", [
    (dict(AWS, region="eu-central"), "aws.region: 'eu-central' is not an AWS region"),
    (dict(AWS, region="EU-CENTRAL-1"), "aws.region"),
    (with_account(id="11111111111"), "aws.accounts.development.id: '11111111111' is not an AWS account id"),
    (with_account(id=111111111111), "aws.accounts.development.id: 111111111111 is a number; quote it"),
    (with_account(role_arn="arn:aws:iam::%s:role/krci-automation" % PROD),
     "aws.accounts.development.role_arn: arn:aws:iam::%s:role/krci-automation is a role of account %s" % (PROD, PROD)),
    (with_account(role_arn="krci-automation"), "aws.accounts.development.role_arn: 'krci-automation' is not an IAM role"),
    (with_account(clusters=["platform", "workloads", "production"]),
     "clusters.production: in two AWS accounts, development and production"),
    (with_account(clusters=["platform", "nowhere"]), "aws.accounts.development.clusters: 'nowhere' is not a cluster"),
    (dict(AWS, secrets_backends={"dev": "consul"}), "aws.secrets_backends.dev: unknown secrets backend 'consul'"),
    (dict(AWS, secrets_backends={"qa": "vault"}), "aws.secrets_backends.qa: 'qa' is not an environment"),
    (dict(AWS, irsa={"default/builder": {"policy_arns": []}}),
     "aws.irsa.default/builder: the plan knows no IRSA role for ServiceAccount default/builder"),
    (dict(AWS, eks={"platform": {"version": "1.20"}}), "aws.eks.platform.version: '1.20' is not a Kubernetes version"),
    (dict(AWS, eks={"elsewhere": {}}), "aws.eks.elsewhere: elsewhere is in no AWS account"),
    (dict(AWS, eks={"platform": {"vpc_cidr": "10.11.0.0/16"}}), "overlaps"),
    (dict(AWS, eks={"platform": {"node_groups": [{"min_size": 3, "desired_size": 2}]}}),
     "aws.eks.platform.node_groups[0]: min_size <= desired_size <= max_size"),
    (dict(AWS, eks={"platform": {"subnets": ["subnet-1"]}}), "aws.eks.platform.subnets: EKS needs at least two"),
    (dict(AWS, hosted_zones={"platform": "example.com"}), "aws.hosted_zones.platform: 'example.com' is not a Route 53"),
    (dict(AWS, vault_kms_cluster="nowhere"), "aws.vault_kms_cluster: 'nowhere' is not a cluster of an AWS account"),
    (dict(AWS, vault_kms_cluster="workloads"),
     "aws.vault_kms_cluster: 'workloads' is a workloads cluster; Vault runs on the platform cluster"),
    (dict(AWS, endpoint_url="moto"), "aws.endpoint_url: 'moto' must be http(s)://host[:port]"),
    (dict(AWS, colour="blue"), "aws: unknown key(s) colour"),
    (dict(AWS, role_prefix="a-very-long-prefix-for-every-role-name"), "aws.role_prefix"),
])
def test_bad_input_is_named(aws, message):
    errors = _aws.plan(topology(), aws)["errors"]
    assert any(message in error for error in errors), errors


def test_production_shares_no_account_with_the_platform_side():
    aws = copy.deepcopy(AWS)
    aws["accounts"]["development"]["clusters"] = ["platform"]
    aws["accounts"]["production"]["clusters"] = ["workloads", "staging", "production"]
    errors = aws_plan(aws)["errors"]
    assert any("aws.accounts.production: holds production (production) and workloads" in e for e in errors), errors


def test_an_aws_secrets_backend_needs_its_cluster_in_an_account():
    aws = copy.deepcopy(AWS)
    aws["accounts"]["development"]["clusters"] = ["platform"]
    errors = aws_plan(aws)["errors"]
    assert any("aws.secrets_backends.dev: aws_parameter_store, but dev's cluster workloads is in no AWS account" in e
               for e in errors), errors


def test_an_openshift_cluster_cannot_be_an_eks_cluster():
    clusters = topology()
    clusters[0]["flavour"] = "openshift"
    errors = _aws.plan(clusters, AWS)["errors"]
    assert any("clusters.platform.flavour: openshift, but it is in AWS account development" in e for e in errors)


def test_role_names_longer_than_iam_allows_are_named():
    clusters = [dict(c, name=c["name"] + "-" + "x" * 40 if c["role"] == "workloads" else c["name"])
                for c in topology()]
    aws = copy.deepcopy(AWS)
    aws["accounts"]["development"]["clusters"] = ["platform", clusters[1]["name"]]
    errors = _aws.plan(clusters, aws)["errors"]
    assert any("is longer than IAM's 64 characters" in e for e in errors), errors


@pytest.mark.parametrize("option", _topology.OPTIONS)
def test_every_option_plans_on_aws(option):
    names = [c["name"] for c in topology(option)]
    production = [c["name"] for c in topology(option) if c["role"] in ("production", "staging")]
    aws = {"region": "eu-west-1", "accounts": {
        "development": {"id": DEV, "clusters": [n for n in names if n not in production]},
        "production": {"id": PROD, "clusters": production}}}
    if option == "shared":  # staging is a push target in shared: it stays out of production's account
        aws["accounts"]["development"]["clusters"].append("staging")
        aws["accounts"]["production"]["clusters"] = ["production"]
    result = _aws.plan(topology(option), aws)
    assert result["errors"] == []
    assert sorted(result["clusters"]) == sorted(names)
    assert result["accounts"]["production"]["role_arn"] is None


def test_each_account_with_clusters_gets_one_registry_made_by_one_host():
    result = _aws.plan(topology(), dict(AWS, ecr={"repositories": ["base-images"], "keep_images": 20}),
                       applications=[{"name": "orders", "image": "x/orders"}])
    assert result["errors"] == []
    makers = dict((name, c) for name, c in result["clusters"].items() if c["ecr_repositories"])
    # development: workloads (the first cluster with environments); production: production.
    assert sorted(makers) == ["production", "workloads"]
    repositories = makers["production"]["ecr_repositories"]
    assert [r["name"] for r in repositories] == ["krci/base-images", "krci/orders"]
    [statement] = repositories[0]["policy"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::%s:root" % PROD}
    assert "ecr:BatchGetImage" in statement["Action"] and not any("Put" in a for a in statement["Action"])
    rules = repositories[0]["lifecycle"]["rules"]
    assert rules[-1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}


@pytest.mark.parametrize("ecr, message", [
    ({"repositories": ["Orders"]}, "aws.ecr.repositories: krci/Orders is not an ECR repository name"),
    ({"keep_images": 0}, "aws.ecr.keep_images: 0 must be a positive integer"),
    ({"prefix": "Krci/"}, "aws.ecr.prefix"),
    ({"colour": 1}, "aws.ecr: unknown key(s) colour"),
])
def test_bad_ecr_settings_are_named(ecr, message):
    errors = _aws.plan(topology(), dict(AWS, ecr=ecr))["errors"]
    assert any(message in e for e in errors), errors


def test_the_kubernetes_side_annotates_installed_service_accounts_and_writes_each_aws_environment_s_store():
    cluster = aws_plan(hosted_zones={"workloads": "Z0123456789ABC"})["clusters"]["workloads"]
    lookups = _aws.kubernetes_lookups(cluster)
    assert [(o["kind"], o.get("namespace"), o["name"]) for o in lookups] == [
        ("ServiceAccount", "external-secrets", "external-secrets"),
        ("Deployment", "external-secrets", "external-secrets"),
        ("ServiceAccount", "cert-manager", "cert-manager"),
        ("Deployment", "cert-manager", "cert-manager"),
        ("CustomResourceDefinition", None, "clustersecretstores.external-secrets.io")]
    # External Secrets installed, cert-manager not (it runs on the platform cluster only).
    found = [{"kind": "ServiceAccount"}, {"kind": "Deployment"}, None, None, {"kind": "CustomResourceDefinition"}]
    result = _aws.kubernetes_objects(cluster, found)
    account, deployment, store = result["definitions"]
    role = "arn:aws:iam::%s:role/krci-workloads-external-secrets" % DEV
    assert account["metadata"] == {"name": "external-secrets", "namespace": "external-secrets",
                                   "annotations": {"eks.amazonaws.com/role-arn": role}}
    assert deployment["spec"] == {"template": {"metadata": {"annotations": {"krci.platform/irsa-role-arn": role}}}}
    assert store["metadata"]["name"] == "aws-dev"
    assert store["spec"]["conditions"] == [{"namespaces": ["krci-dev"]}]
    assert store["spec"]["provider"]["aws"] == {
        "service": "ParameterStore", "region": "eu-central-1", "prefix": "/krci/dev/",
        "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}}}
    assert result["missing"] == ["ServiceAccount cert-manager/cert-manager (cert-manager is not installed here; its "
                                 "role krci-workloads-cert-manager is not used)"]


def test_production_s_store_reads_secrets_manager_in_production_s_account_only():
    cluster = aws_plan()["clusters"]["production"]
    found = [{}] * len(_aws.kubernetes_lookups(cluster))
    [store] = [d for d in _aws.kubernetes_objects(cluster, found)["definitions"] if d["kind"] == "ClusterSecretStore"]
    assert store["spec"]["provider"]["aws"]["service"] == "SecretsManager"
    assert store["spec"]["provider"]["aws"]["prefix"] == "krci/production/"
    assert cluster["secret_stores"][0]["role_arn"].startswith("arn:aws:iam::%s:" % PROD)


def test_without_external_secrets_nothing_is_written_and_the_store_kind_is_named():
    cluster = aws_plan()["clusters"]["workloads"]
    result = _aws.kubernetes_objects(cluster, [None, None, None])
    assert result["definitions"] == []
    assert result["missing"][-1] == ("the ClusterSecretStore kind (External Secrets is not installed here; stores "
                                     "aws-dev not written)")
    with pytest.raises(ValueError, match="2 objects read, 3 expected"):
        _aws.kubernetes_objects(cluster, [None, None])


def test_vault_s_role_annotates_the_openbao_service_account():
    cluster = aws_plan(vault_kms_cluster="platform")["clusters"]["platform"]
    [vault] = [r for r in cluster["irsa"] if r["controller"] == "vault"]
    assert (vault["namespace"], vault["service_account"], vault["workload"]) == (
        "vault", "openbao", {"kind": "StatefulSet", "name": "openbao"})


def test_the_automation_role_administers_each_cluster_of_its_account():
    result = aws_plan()
    [entry] = result["clusters"]["production"]["eks"]["access_entries"]
    assert entry == {"principal_arn": "arn:aws:iam::%s:role/krci-automation" % PROD, "access_policies": [
        {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "namespaces": []}]}
    accounts = copy.deepcopy(AWS["accounts"])
    del accounts["development"]["role_arn"]
    assert aws_plan(accounts=accounts)["clusters"]["platform"]["eks"]["access_entries"] == []


def test_vault_s_kms_key_lives_in_its_cluster_s_account_and_only_vault_uses_it():
    result = aws_plan(vault_kms_cluster="platform", endpoint_url="http://127.0.0.1:5000")
    assert result["errors"] == []
    kms = result["clusters"]["platform"]["vault_kms"]
    assert kms["alias"] == "alias/krci-platform-vault-unseal"
    assert kms["vault_role_name"] == "krci-platform-vault"
    account, vault = kms["policy"]["Statement"]
    assert account["Principal"] == {"AWS": "arn:aws:iam::%s:root" % DEV} and account["Action"] == "kms:*"
    assert vault["Principal"] == {"AWS": "arn:aws:iam::%s:role/krci-platform-vault" % DEV}
    assert vault["Action"] == ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    assert kms["seal"] == {"type": "awskms", "region": "eu-central-1", "kms_key_id": "alias/krci-platform-vault-unseal",
                           "endpoint": "http://127.0.0.1:5000"}
    # No other cluster has a key; without vault_kms_cluster none has.
    assert [c for c, v in result["clusters"].items() if v["vault_kms"]] == ["platform"]
    assert all(v["vault_kms"] is None for v in aws_plan()["clusters"].values())


def test_the_vault_seal_of_a_cluster_comes_from_the_plan():
    settings = dict(copy.deepcopy(AWS), vault_kms_cluster="platform")
    assert _aws.vault_seal(topology(), settings, "platform") == {
        "type": "awskms", "region": "eu-central-1", "kms_key_id": "alias/krci-platform-vault-unseal"}
    assert _aws.vault_seal(topology(), settings, "workloads") == {}
    assert _aws.vault_seal(topology(), copy.deepcopy(AWS), "platform") == {}
    assert _aws.vault_seal(topology(), {}, "platform") == {}


def test_each_cluster_s_ingress_certificate_is_requested_in_its_zone_or_imported():
    result = aws_plan(hosted_zones={"platform": "Z0123ABC"}, acm={
        "platform": {"domain_name": "*.platform.example.com", "subject_alternative_names": ["platform.example.com"]},
        "production": {"import": {"certificate": "/pki/prod.crt", "private_key": "/pki/prod.key"}}})
    assert result["errors"] == []
    assert result["clusters"]["platform"]["acm"] == {
        "name": "krci-platform-ingress", "domain_name": "*.platform.example.com",
        "subject_alternative_names": ["platform.example.com"], "hosted_zone_id": "Z0123ABC", "import": None,
        "ingresses": [{"namespace": "keycloak", "name": "keycloak"}, {"namespace": "vault", "name": "openbao"}]}
    imported = result["clusters"]["production"]["acm"]["import"]
    assert imported == {"certificate": "/pki/prod.crt", "private_key": "/pki/prod.key"}
    # Production runs applications only: its Ingresses are the applications', named when wanted.
    assert result["clusters"]["production"]["acm"]["ingresses"] == []
    assert result["clusters"]["workloads"]["acm"] is None


@pytest.mark.parametrize("acm, message", [
    ({"nowhere": {"domain_name": "a.example.com"}}, "aws.acm.nowhere: nowhere is in no AWS account"),
    ({"platform": {"domain_name": "Platform.Example.com"}},
     "aws.acm.platform: 'Platform.Example.com' is not a DNS name"),
    ({"platform": {"domain_name": "a.example.com", "import": {"certificate": "/c", "private_key": "/k"}}},
     "aws.acm.platform: either import a certificate or request one for domain_name, not both"),
    ({"platform": {"import": {"certificate": "/c"}}},
     "aws.acm.platform.import: give the controller's PEM files certificate and private_key"),
    ({"platform": {"domain_name": "a.example.com", "validation": "email"}},
     "aws.acm.platform: unknown key(s) validation"),
    ({"platform": {"domain_name": "a.example.com", "ingresses": ["keycloak"]}},
     "aws.acm.platform.ingresses: ['keycloak'] must be a list of namespace/name of Ingresses"),
    ({"platform": {"domain_name": "a.example.com", "ingresses": ["Keycloak/keycloak"]}},
     "aws.acm.platform.ingresses: ['Keycloak/keycloak'] must be a list"),
])
def test_bad_acm_settings_are_named(acm, message):
    errors = aws_plan(acm=acm)["errors"]
    assert any(message in e for e in errors), errors


def ingress(namespace, name, *hosts):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"namespace": namespace, "name": name},
            "spec": {"rules": [{"host": h} for h in hosts]}}


def test_the_ingress_certificate_goes_on_the_installed_ingresses_it_covers():
    cluster = aws_plan(hosted_zones={"platform": "Z0123ABC"}, acm={"platform": {
        "domain_name": "*.platform.example.com", "ingresses": ["keycloak/keycloak", "vault/openbao", "krci/portal"]}}
    )["clusters"]["platform"]
    lookups = _aws.kubernetes_lookups(cluster)
    ingress_reads = [x for x in lookups if x["kind"] == "Ingress"]
    assert [(x["namespace"], x["name"]) for x in ingress_reads] == [
        ("keycloak", "keycloak"), ("krci", "portal"), ("vault", "openbao")]
    found = [None] * len(lookups)
    first = lookups.index(ingress_reads[0])
    found[first] = ingress("keycloak", "keycloak", "sso.platform.example.com")
    found[first + 1] = ingress("krci", "portal", "portal.example.com")  # not a name of the certificate
    certificate = {"arn": "arn:aws:acm:eu-central-1:111111111111:certificate/abc", "names": ["*.platform.example.com"]}
    result = _aws.kubernetes_objects(cluster, found, certificate)
    written = [d for d in result["definitions"] if d["kind"] == "Ingress"]
    assert written == [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
        "name": "keycloak", "namespace": "keycloak", "annotations": {
            "alb.ingress.kubernetes.io/certificate-arn": certificate["arn"],
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]',
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}}}]
    missing = " | ".join(result["missing"])
    assert "Ingress krci/portal (its host(s) portal.example.com are not names of the ingress certificate " \
        "krci-platform-ingress" in missing
    assert "Ingress vault/openbao (not installed here" in missing
    # Not issued yet: nothing written, the Ingress named.
    result = _aws.kubernetes_objects(cluster, found, None)
    assert [d for d in result["definitions"] if d["kind"] == "Ingress"] == []
    assert "Ingress keycloak/keycloak (the ingress certificate krci-platform-ingress is not issued in ACM yet" \
        in " | ".join(result["missing"])


@pytest.mark.parametrize("host, covered", [
    ("sso.platform.example.com", True), ("platform.example.com", True), ("a.sso.platform.example.com", False),
    ("sso.example.com", False), ("SSO.Platform.example.com", True)])
def test_a_wildcard_covers_exactly_one_label(host, covered):
    assert _aws.covers(["*.platform.example.com", "platform.example.com"], host) is covered


def test_the_issued_certificate_for_the_plan_s_names_is_picked():
    acm = {"domain_name": "*.platform.example.com", "subject_alternative_names": ["platform.example.com"]}
    old = {"certificate_arn": "arn:old", "status": "ISSUED", "domain_name": "*.platform.example.com",
           "subject_alternative_names": ["*.platform.example.com"], "issued_at": "2026-01-01T00:00:00"}
    new = {"certificate_arn": "arn:new", "status": "ISSUED", "domain_name": "*.platform.example.com",
           "subject_alternative_names": ["*.platform.example.com", "platform.example.com"],
           "issued_at": "2025-01-01T00:00:00"}
    pending = dict(new, certificate_arn="arn:pending", status="PENDING_VALIDATION")
    assert _aws.issued_certificate([old, new, pending], acm) == {
        "arn": "arn:new", "names": ["*.platform.example.com", "platform.example.com"]}
    assert _aws.issued_certificate([old, pending], acm) is None
    # Imported: the newest issued.
    assert _aws.issued_certificate([old, new], {"domain_name": None})["arn"] == "arn:old"


def test_environments_in_another_account_than_the_build_s_registry_pull_its_copy():
    from ansible_collections.krci.platform.plugins.module_utils import _platform

    plan = aws_plan()
    environments = _platform.plan(topology())["promotion"]["environments"]
    build = "%s.dkr.ecr.eu-central-1.amazonaws.com/krci/krci-demo" % DEV
    images = dict((e["name"], e["image"]) for e in _aws.environment_images(plan, environments, build))
    copy_in_production = "%s.dkr.ecr.eu-central-1.amazonaws.com/krci/krci-demo" % PROD
    assert images == {"dev": build, "test": build, "uat": build, "staging": copy_in_production,
                      "production": copy_in_production}
    # A build outside the accounts' registries (Harbor) is pulled from there by every environment.
    harbor = "harbor.example.com/team/krci-demo"
    assert set(e["image"] for e in _aws.environment_images(plan, environments, harbor)) == {harbor}
    # An account's registry reached by another name (the tests' registry, a VPC endpoint's name).
    accounts = copy.deepcopy(AWS["accounts"])
    accounts["production"]["registry"] = "ecr.production.internal:5000"
    images = dict((e["name"], e["image"]) for e in _aws.environment_images(
        aws_plan(accounts=accounts), environments, build))
    assert images["production"] == "ecr.production.internal:5000/krci/krci-demo" and images["dev"] == build


def test_an_account_registry_must_be_a_host():
    accounts = copy.deepcopy(AWS["accounts"])
    accounts["production"]["registry"] = "https://ecr.example.com/"
    assert "aws.accounts.production.registry: 'https://ecr.example.com/' must be a registry host[:port]" in \
        " | ".join(aws_plan(accounts=accounts)["errors"])
