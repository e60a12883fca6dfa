"""playbooks/aws.yml against moto in server mode (the one stand-in the integration tests allow): per cluster of the
inventory's accounts, its VPC, IAM roles, EKS cluster, IAM OIDC provider and IRSA roles, in that cluster's own account.

moto does not check trust policies or token audiences, so the tests check them: each role's trust condition names
exactly its ServiceAccount, each OIDC provider's URL is its cluster's issuer, each policy reads only its environment.
Each EKS cluster in moto is mapped to the separated sandbox's API server of the same name: the option playbooks'
AWS - Kubernetes play (common/aws_kubernetes.yml) annotates the real ServiceAccounts and writes the real
ClusterSecretStores there, validated by the External Secrets CRDs the converge installed, and puts the ACM
certificate on Keycloak's Ingress. It runs last on the separated sandbox (conftest.MODULE_ORDER), as it leaves those
annotations, stores and that Ingress behind."""

import json
import shutil
import subprocess

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from conftest import REPO, assert_ok, changed_tasks, kube_client, load_yaml, run, start_moto
from sandbox import moto as moto_server
from ansible_collections.krci.platform.plugins.module_utils import _backup, _vault_rotation
from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultClient

DEV, PROD = "111111111111", "222222222222"
REGION = "eu-central-1"
CLUSTERS = ("platform", "workloads", "staging", "production")
pytestmark = pytest.mark.sandbox("separated")
MOTO_LOGS = {}  # moto's url -> its log (its request recording lies beside it)


@pytest.fixture(scope="module", name="moto")
def moto_fixture(tmp_path_factory):
    """moto in server mode on loopback, for this module's tests."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    url, process = start_moto(log)
    MOTO_LOGS[url] = log
    yield url
    process.terminate()
    process.wait(10)


def inventory(tmp_path, moto, state, **aws_changes):
    """The separated sandbox's inventory, its clusters living in a development and a production account: each EKS
    cluster of moto is mapped to the sandbox's API server of the same name (the Kubernetes side is real)."""
    aws = {
        "region": REGION, "endpoint_url": moto,
        "accounts": {
            "development": {"id": DEV, "role_arn": "arn:aws:iam::%s:role/krci-automation" % DEV,
                            "clusters": ["platform", "workloads"]},
            "production": {"id": PROD, "role_arn": "arn:aws:iam::%s:role/krci-automation" % PROD,
                           "clusters": ["staging", "production"]},
        },
        "secrets_backends": {"dev": "aws_parameter_store", "production": "aws_secrets_manager"},
        "eks": {"workloads": {"node_groups": [{"name": "builds", "min_size": 1, "desired_size": 1, "max_size": 3}]}},
        "ecr": {"repositories": ["orders"]},
        "vault_kms_cluster": "platform",
    }
    aws.update(aws_changes)
    topology = load_yaml(state["inventory"])
    assert sorted(topology["clusters"]) == sorted(CLUSTERS)
    topology["aws"] = aws
    # moto has no EKS access entries: that task is off here (the module is unit-tested with botocore's Stubber).
    topology["vars"]["aws_eks_cluster_access"] = False
    topology["vars"]["aws_kubeconfig_dir"] = str(tmp_path / "kubeconfigs")
    path = tmp_path / "topology.yml"
    path.write_text(yaml.safe_dump(topology))
    return path


def aws_env(tools_env):
    return dict(tools_env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)


def account(moto, account_id, service):
    """A client of ``service`` in the account, through the automation role there (as the playbook reaches it)."""
    import boto3

    sts = boto3.client("sts", region_name=REGION, endpoint_url=moto, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn="arn:aws:iam::%s:role/krci-automation" % account_id,
                            RoleSessionName="krci-test")["Credentials"]
    return boto3.client(service, region_name=REGION, endpoint_url=moto, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def playbook(path, env, *extra, name="aws"):
    return run(["ansible-playbook", "-i", path, REPO / "playbooks" / ("%s.yml" % name)] + list(extra), env)


def test_each_cluster_s_aws_side_lives_in_its_own_account_and_a_rerun_changes_nothing(moto, tools_env, tmp_path,
                                                                                      sandbox_pool):
    env = aws_env(tools_env)
    state, _runs = sandbox_pool.converged("separated", tools_env)
    # The platform's public zone (made by whoever owns the domain): ACM validates the ingress certificate there, and
    # cert-manager answers DNS-01 there.
    zone = account(moto, DEV, "route53").create_hosted_zone(
        Name="krci.test", CallerReference="krci-test")["HostedZone"]["Id"].rsplit("/", 1)[-1]
    path = inventory(tmp_path, moto, state, hosted_zones={"platform": zone}, acm={"platform": {
        "domain_name": "*.krci.test", "subject_alternative_names": ["krci.test"]}})
    check = playbook(path, env, "--check", "--diff")
    assert_ok(check)
    assert account(moto, DEV, "eks").list_clusters()["clusters"] == []  # the check run wrote nothing

    first = playbook(path, env)
    assert_ok(first)
    moto_server.reset(moto)
    # The no-op and a check run of the converged accounts, at once (neither may write); meanwhile the Kubernetes side
    # (whose one AWS call is a read: the ingress certificate's ARN) and the kubeconfig's token.
    runs = [subprocess.Popen(["ansible-playbook", "-i", str(path), str(REPO / "playbooks" / "aws.yml")] + extra,
                             env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for extra in ([], ["--check", "--diff"])]
    kubernetes_side(moto, env, path)
    eks_kubeconfig(moto, env, tmp_path / "kubeconfigs" / "production.yaml", PROD, "krci-production")
    for process in runs:
        stdout, stderr = process.communicate(timeout=600)
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        summary = assert_ok(result)
        assert all(r["changed"] == 0 for r in summary.values()), "\n".join(changed_tasks(stdout)) + stdout[-6000:]
    # moto's own request log: the no-op and the check read every service they manage and wrote nothing.
    requests = moto_server.requests_made(MOTO_LOGS[moto])
    assert [r for r in requests if r["write"]] == []
    assert set(moto_server.counts(requests)) >= {"sts", "iam", "ec2", "eks", "ecr"}

    expected = {DEV: ["krci-platform", "krci-workloads"], PROD: ["krci-production", "krci-staging"]}
    for account_id, names in expected.items():
        eks = account(moto, account_id, "eks")
        iam = account(moto, account_id, "iam")
        assert sorted(eks.list_clusters()["clusters"]) == names
        providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
        roles = dict((r["RoleName"], r) for r in iam.list_roles()["Roles"])
        for name in names:
            cluster = eks.describe_cluster(name=name)["cluster"]
            assert cluster["version"] == "1.33" and cluster["roleArn"].endswith(":role/%s-eks-cluster" % name)
            issuer = cluster["identity"]["oidc"]["issuer"]
            # The OIDC provider's URL is the cluster's issuer, in the cluster's own account.
            assert "arn:aws:iam::%s:oidc-provider/%s" % (account_id, issuer[len("https://"):]) in providers
            assert "%s-eks-cluster" % name in roles and "%s-eks-nodes" % name in roles
            groups = eks.list_nodegroups(clusterName=name)["nodegroups"]
            assert groups == (["builds"] if name == "krci-workloads" else ["default"])
            group = eks.describe_nodegroup(clusterName=name, nodegroupName=groups[0])["nodegroup"]
            assert group["nodeRole"].endswith(":%s:role/%s-eks-nodes" % (account_id, name))
            assert group["subnets"] == cluster["resourcesVpcConfig"]["subnetIds"]
        # Nothing of the other account is here.
        assert not any(":%s:" % (PROD if account_id == DEV else DEV) in p for p in providers)

    # ECR: each account has its own repository, pullable only from within that account, tags immutable.
    for account_id in (DEV, PROD):
        ecr = account(moto, account_id, "ecr")
        repositories = dict((r["repositoryName"], r) for r in ecr.describe_repositories()["repositories"])
        # aws.ecr.repositories and the inventory's applications (the sandbox's krci-demo)
        assert sorted(repositories) == ["krci/krci-demo", "krci/orders"]
        for name, repository in repositories.items():
            assert repository["registryId"] == account_id and repository["imageTagMutability"] == "IMMUTABLE"
            policy = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])
            principals = [s["Principal"]["AWS"] for s in policy["Statement"]]
            assert principals == ["arn:aws:iam::%s:root" % account_id]
            lifecycle = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
            assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["untagged", "any"]

    # ACM: the platform's ingress certificate, issued, its validation record in the zone (moto issues without
    # looking at DNS: the record is checked here).
    acm = account(moto, DEV, "acm")
    [summary] = acm.list_certificates()["CertificateSummaryList"]
    certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    assert certificate["Status"] == "ISSUED" and certificate["DomainName"] == "*.krci.test"
    assert sorted(certificate["SubjectAlternativeNames"]) == ["*.krci.test", "krci.test"]
    tags = dict((t["Key"], t["Value"]) for t in acm.list_tags_for_certificate(
        CertificateArn=summary["CertificateArn"])["Tags"])
    assert tags["Name"] == "krci-platform-ingress" and tags["krci.platform/cluster"] == "platform"
    records = account(moto, DEV, "route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    wanted = set((o["ResourceRecord"]["Name"], o["ResourceRecord"]["Value"])
                 for o in certificate["DomainValidationOptions"])
    assert wanted and wanted <= set((r["Name"], r["ResourceRecords"][0]["Value"]) for r in records if r["Type"] == "CNAME")
    assert account(moto, PROD, "acm").list_certificates()["CertificateSummaryList"] == []
    # cert-manager's role changes records of that zone only.
    document = account(moto, DEV, "iam").get_role_policy(RoleName="krci-platform-cert-manager",
                                                         PolicyName="krci-platform")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert "arn:aws:route53:::hostedzone/%s" % zone in [r for s in document["Statement"] for r in s["Resource"]]

    # Isolation: no role trust, role permission, repository policy or key policy of one account names the other.
    for account_id, other in ((DEV, PROD), (PROD, DEV)):
        assert account_documents_naming(moto, account_id, other) == []
    # (DEV holds Vault's key: its policy was among those read.)
    assert account(moto, DEV, "kms").list_keys()["Keys"] and not account(moto, PROD, "kms").list_keys()["Keys"]

    # IRSA: External Secrets' role trusts exactly its ServiceAccount of exactly its cluster's issuer, and reads only
    # its environment's path.
    iam = account(moto, DEV, "iam")
    issuer = account(moto, DEV, "eks").describe_cluster(name="krci-workloads")["cluster"]["identity"]["oidc"]["issuer"]
    role = iam.get_role(RoleName="krci-workloads-external-secrets")["Role"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    host_path = issuer[len("https://"):]
    assert statement["Principal"]["Federated"] == "arn:aws:iam::%s:oidc-provider/%s" % (DEV, host_path)
    assert statement["Condition"]["StringEquals"] == {
        "%s:sub" % host_path: "system:serviceaccount:external-secrets:external-secrets",
        "%s:aud" % host_path: "sts.amazonaws.com"}
    policy = iam.get_role_policy(RoleName="krci-workloads-external-secrets", PolicyName="krci-platform")
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    resources = [r for s in document["Statement"] for r in s["Resource"]]
    assert resources == ["arn:aws:ssm:%s:%s:parameter/krci/dev" % (REGION, DEV),
                         "arn:aws:ssm:%s:%s:parameter/krci/dev/*" % (REGION, DEV)]
    prod_iam = account(moto, PROD, "iam")
    prod_role = prod_iam.get_role(RoleName="krci-production-external-secrets")["Role"]
    principal = prod_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"]
    assert principal.startswith("arn:aws:iam::%s:oidc-provider/" % PROD)
    # staging keeps Vault: no IRSA role; the platform (no environment) neither.
    assert not [r for r in prod_iam.list_roles()["Roles"] if r["RoleName"] == "krci-staging-external-secrets"]


def account_documents_naming(moto, account_id, other):
    """Every trust policy, inline or attached customer policy, ECR repository policy and KMS key policy of the
    account that mentions the other account's id (its principals, roles, providers or resources)."""
    iam, ecr, kms = (account(moto, account_id, s) for s in ("iam", "ecr", "kms"))
    documents = []  # (kind, where, document)
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        documents.append(("role trust", name, role["AssumeRolePolicyDocument"]))
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            documents.append(("role policy", "%s/%s" % (name, policy),
                              iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]))
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            if ":aws:policy/" not in attached["PolicyArn"]:  # AWS managed policies name no account
                version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
                documents.append(("role policy", attached["PolicyArn"], iam.get_policy_version(
                    PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]))
    for repository in ecr.describe_repositories()["repositories"]:
        name = repository["repositoryName"]
        documents.append(("repository policy", name, ecr.get_repository_policy(repositoryName=name)["policyText"]))
    for key in kms.list_keys()["Keys"]:
        documents.append(("key policy", key["KeyArn"],
                          kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]))
    # Everything was read: each role's trust and inline policy, each repository's policy (and each key's).
    assert {"role trust", "role policy", "repository policy"} <= set(kind for kind, _w, _d in documents), documents
    return [(kind, where) for kind, where, document in documents
            if other in (document if isinstance(document, str) else json.dumps(document))]


def keycloak_ingress(cluster, host):
    """Keycloak's Ingress: the keycloak role's (test_keycloak_realm installs Keycloak with it on this sandbox, host
    keycloak.krci.test), or, when this module runs alone, one made as its install template makes it. Returns the
    networking API and whether OpenBao's Ingress (test_vault_role's install, vault.krci.test) is there."""
    client, api = kube_client(cluster)
    core, networking = client.CoreV1Api(api), client.NetworkingV1Api(api)
    try:
        networking.read_namespaced_ingress("keycloak", "keycloak")
    except client.exceptions.ApiException as exc:
        if exc.status != 404:
            raise
        try:
            core.create_namespace({"metadata": {"name": "keycloak"}})
        except client.exceptions.ApiException as exists:
            if exists.status != 409:
                raise
        networking.create_namespaced_ingress("keycloak", {
            "metadata": {"name": "keycloak", "labels": {"app.kubernetes.io/name": "keycloak",
                                                        "app.kubernetes.io/part-of": "krci-platform"}},
            "spec": {"ingressClassName": "alb", "tls": [{"hosts": [host], "secretName": "keycloak-tls"}],
                     "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                         "service": {"name": "keycloak", "port": {"name": "http"}}}}]}}]}})
    try:
        networking.read_namespaced_ingress("openbao", "vault")
        openbao = True
    except client.exceptions.ApiException as exc:
        if exc.status != 404:
            raise
        openbao = False
    return networking, openbao


def kubernetes_side(moto, env, path):
    """The IRSA annotations equal the roles moto holds; each AWS store reads its environment's path only; the
    platform's ingress certificate (*.krci.test) is on Keycloak's Ingress, and on OpenBao's where it is installed
    (else that one is named)."""
    state_clusters = load_yaml(path)["clusters"]
    networking, openbao = keycloak_ingress(state_clusters["platform"], "keycloak.krci.test")
    check = playbook(path, env, "--check", "--diff", name="common/aws_kubernetes")
    assert_ok(check)
    assert "eks.amazonaws.com/role-arn" in check.stdout  # the diff shows the annotation to come
    assert "alb.ingress.kubernetes.io/certificate-arn" in check.stdout
    first = playbook(path, env, name="common/aws_kubernetes")
    assert_ok(first)
    flat = " ".join(first.stdout.split())  # the callback wraps lines
    assert ("Ingress vault/openbao (not installed here" in flat) is not openbao, flat[-3000:]
    again = playbook(path, env, name="common/aws_kubernetes")
    summary = assert_ok(again)
    assert all(r["changed"] == 0 for r in summary.values()), "\n".join(changed_tasks(again.stdout))

    # The certificate on the Ingresses is the issued one ACM holds under the platform's ingress name.
    acm = account(moto, DEV, "acm")
    [arn] = [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]
             if {"Key": "Name", "Value": "krci-platform-ingress"} in acm.list_tags_for_certificate(
                 CertificateArn=c["CertificateArn"])["Tags"]]
    for namespace, name in [("keycloak", "keycloak")] + ([("vault", "openbao")] if openbao else []):
        annotations = networking.read_namespaced_ingress(name, namespace).metadata.annotations
        assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == arn, (namespace, name)
        assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS":443}]'

    def cluster_api(name):
        client, api = kube_client(state_clusters[name])
        return client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)

    roles = {DEV: account(moto, DEV, "iam"), PROD: account(moto, PROD, "iam")}
    expected = {"workloads": (DEV, "aws-dev", "ParameterStore", "/krci/dev/", "krci-dev"),
                "production": (PROD, "aws-production", "SecretsManager", "krci/production/", "krci-production")}
    for name in CLUSTERS:
        core, apps, custom = cluster_api(name)
        annotations = core.read_namespaced_service_account("external-secrets", "external-secrets").metadata.annotations
        stores = [s for s in custom.list_cluster_custom_object("external-secrets.io", "v1", "clustersecretstores")["items"]
                  if s["metadata"]["name"].startswith("aws-")]
        if name not in expected:  # no environment of it keeps its secrets in AWS: no role, no store
            assert "eks.amazonaws.com/role-arn" not in (annotations or {}) and stores == []
            continue
        account_id, store_name, service, prefix, namespace = expected[name]
        role_arn = roles[account_id].get_role(RoleName="krci-%s-external-secrets" % name)["Role"]["Arn"]
        assert annotations["eks.amazonaws.com/role-arn"] == role_arn
        template = apps.read_namespaced_deployment("external-secrets", "external-secrets").spec.template
        assert template.metadata.annotations["krci.platform/irsa-role-arn"] == role_arn
        [store] = stores
        assert store["metadata"]["name"] == store_name
        assert store["spec"]["conditions"] == [{"namespaces": [namespace]}]
        provider = store["spec"]["provider"]["aws"]
        assert (provider["service"], provider["region"], provider["prefix"]) == (service, REGION, prefix)
        assert provider["auth"]["jwt"]["serviceAccountRef"] == {"name": "external-secrets",
                                                                "namespace": "external-secrets"}
        # The role the store's ServiceAccount assumes reads exactly the store's prefix.
        document = roles[account_id].get_role_policy(RoleName="krci-%s-external-secrets" % name,
                                                     PolicyName="krci-platform")["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        resources = [r for s in document["Statement"] for r in s["Resource"]]
        assert all(prefix.strip("/") in r for r in resources), resources


def eks_kubeconfig(moto, env, path, account_id, cluster):
    """The kubeconfig written for an EKS cluster holds no secret; its exec plugin's token is a presigned STS
    GetCallerIdentity of the account's automation role, bound to the cluster, which STS (moto) answers."""
    import base64
    from urllib.parse import parse_qs, urlparse

    assert oct(path.stat().st_mode & 0o777) == "0o600"
    config = load_yaml(path)
    described = account(moto, account_id, "eks").describe_cluster(name=cluster)["cluster"]
    assert config["clusters"][0]["cluster"]["server"] == described["endpoint"]
    user = config["users"][0]["user"]
    # Nothing but the plugin: no token, key or password is stored.
    assert set(user) == {"exec"}
    assert set(user["exec"]) == {"apiVersion", "command", "args", "interactiveMode", "provideClusterInfo"}
    plugin = subprocess.run([user["exec"]["command"]] + user["exec"]["args"], env=env, capture_output=True,
                            text=True, check=True, timeout=60)
    credential = json.loads(plugin.stdout)
    assert credential["kind"] == "ExecCredential" and credential["status"]["token"].startswith("k8s-aws-v1.")
    body = credential["status"]["token"][len("k8s-aws-v1."):]
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    query = parse_qs(urlparse(url).query)
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    # Signed with a session of the account's automation role (an assumed role's key and token), not the controller's
    # own key. moto cannot answer the presigned GET itself (it routes query-signed GETs to S3), so EKS's step of
    # presenting the URL to STS is not replayed here.
    assert query["X-Amz-Credential"][0].startswith("ASIA") and "/%s/sts/aws4_request" % REGION in query[
        "X-Amz-Credential"][0]
    assert query["X-Amz-Security-Token"][0]
    assert url.startswith(moto + "/?Action=GetCallerIdentity")
    assert user["exec"]["args"][user["exec"]["args"].index("--role-arn") + 1] == \
        "arn:aws:iam::%s:role/krci-automation" % account_id
    assert user["exec"]["args"][user["exec"]["args"].index("--cluster") + 1] == cluster


def push_index(registry, repository, tag, children):
    """Tag an OCI index of ``children`` (manifest digests already in ``repository``), as a multi-arch build is."""
    import hashlib

    import requests

    head = requests.head("https://%s/v2/%s/manifests/%s" % (registry["host"], repository, children[0]),
                         verify=registry["ca_file"], timeout=10,
                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    head.raise_for_status()
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
         "size": int(head.headers["Content-Length"]), "platform": {"architecture": "amd64", "os": "linux"}}
        for digest in children]}).encode()
    requests.put("https://%s/v2/%s/manifests/%s" % (registry["host"], repository, tag), data=index,
                 verify=registry["ca_file"], timeout=10,
                 headers={"Content-Type": "application/vnd.oci.image.index.v1+json"}).raise_for_status()
    return "sha256:" + hashlib.sha256(index).hexdigest()


def test_a_release_is_copied_by_digest_into_production_s_own_registry(moto, tools_env, tmp_path, sandbox_pool):
    """playbooks/aws_copy_image.yml, as production's host only: the build (an index and its image) in the
    development account's registry (the sandbox's Distribution registry, anonymous to pull) is copied into the
    production account's (another Distribution registry that takes only the ECR token moto's production account
    hands out); the digest stays the build's, the re-run changes nothing, a tag already on another digest is refused
    before any write."""
    from sandbox import build, core, gitops
    from sandbox.pki import CertificateAuthority
    from sandbox.procs import stop
    from sandbox.services import OciRegistry

    import requests

    env = aws_env(tools_env)
    state, _runs = sandbox_pool.converged("separated", tools_env)
    source = state.get("registry") or core.start_oci_registry("separated")
    image = gitops.push_image(source, gitops.DEMO_REPOSITORY, "1.4.0-image", "krci-demo build 1.4.0\n")
    digest = push_index(source, gitops.DEMO_REPOSITORY, "1.4.0", [image])
    other = gitops.push_image(source, gitops.DEMO_REPOSITORY, "1.4.1", "krci-demo build 1.4.1\n")
    ca = CertificateAuthority(tmp_path / "production-ecr-pki", common_name="production-ecr-ca")
    target = OciRegistry(tmp_path / "production-ecr", build.registry() / "registry", ca,
                         users={"AWS": "%s-auth-token" % PROD})
    records = []
    target.start(records.append)
    try:
        ecr = account(moto, PROD, "ecr")
        try:
            ecr.create_repository(repositoryName=gitops.DEMO_REPOSITORY)  # as playbooks/aws.yml makes it
        except ecr.exceptions.RepositoryAlreadyExistsException:
            pass
        path = inventory(tmp_path, moto, state, accounts={
            "development": {"id": DEV, "role_arn": "arn:aws:iam::%s:role/krci-automation" % DEV,
                            "clusters": ["platform", "workloads"], "registry": source["host"]},
            "production": {"id": PROD, "role_arn": "arn:aws:iam::%s:role/krci-automation" % PROD,
                           "clusters": ["staging", "production"], "registry": target.host}})
        topology = load_yaml(path)
        topology["vars"]["krci_applications"] = [{"name": "krci-demo",
                                                  "image": "%s/%s" % (source["host"], gitops.DEMO_REPOSITORY)}]
        topology["vars"]["promotion_registry_ca_file"] = source["ca_file"]
        topology["vars"]["aws_copy_registry_ca_file"] = str(ca.cert_path)
        path.write_text(yaml.safe_dump(topology))

        def copy(version, *extra):
            return playbook(path, env, "-e", "application=krci-demo", "-e", "version=" + version,
                            "-e", "target=production", *extra, name="aws_copy_image")

        def in_production(reference):
            reply = requests.head("https://%s/v2/%s/manifests/%s" % (target.host, gitops.DEMO_REPOSITORY, reference),
                                  auth=("AWS", "%s-auth-token" % PROD), verify=str(ca.cert_path), timeout=10,
                                  headers={"Accept": "application/vnd.oci.image.index.v1+json, "
                                                     "application/vnd.oci.image.manifest.v1+json"})
            return reply.headers.get("Docker-Content-Digest") if reply.status_code == 200 else None

        check = copy("1.4.0", "--check", "--diff")
        summary = assert_ok(check)
        assert summary["production"]["changed"] == 1 and in_production("1.4.0") is None
        first = copy("1.4.0")
        summary = assert_ok(first)
        assert summary["production"]["changed"] == 1
        # Only production's host worked; the platform's took no part.
        assert all(summary[h]["ok"] == 0 for h in ("platform", "workloads", "staging")), summary
        assert in_production("1.4.0") == digest and in_production(image) == image
        assert "copied 2 manifest(s), 2 blob(s)" in first.stdout
        assert "[WARNING]" not in check.stdout + check.stderr + first.stdout + first.stderr
        again = copy("1.4.0")
        summary = assert_ok(again)
        assert all(r["changed"] == 0 for r in summary.values()), "\n".join(changed_tasks(again.stdout))

        # A tag of production's registry on another digest is never moved: refused before anything is written.
        requests.put("https://%s/v2/%s/manifests/1.4.1" % (target.host, gitops.DEMO_REPOSITORY),
                     data=requests.get("https://%s/v2/%s/manifests/%s" % (target.host, gitops.DEMO_REPOSITORY, image),
                                       auth=("AWS", "%s-auth-token" % PROD), verify=str(ca.cert_path), timeout=10,
                                       headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).content,
                     auth=("AWS", "%s-auth-token" % PROD), verify=str(ca.cert_path), timeout=10,
                     headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}).raise_for_status()
        moved = copy("1.4.1")
        assert moved.returncode != 0
        assert "1.4.1: that tag already points at %s, not at %s; a promoted tag never moves" % (image, other) \
            in moved.stdout
        assert in_production(other) is None
    finally:
        for record in records:
            stop(record)


def test_aws_lost_mid_run_fails_naming_the_call_and_a_rerun_converges_without_duplicates(moto, tools_env, tmp_path,
                                                                                       sandbox_pool):
    """moto behind a TCP relay (sandbox/relay.py) that goes away exactly at the run's CreateOpenIDConnectProvider (that
    request never reaches moto): moto keeps what the run wrote before it (VPC, subnets, security group, roles, EKS
    cluster, node group), as AWS would, so the re-run meets a half-made account. One cluster on AWS (a hybrid
    topology: the others are in no account), in a fresh account of the module's moto: the fault, not the size, is
    what this test is about."""
    from sandbox.relay import TcpRelay

    env = aws_env(tools_env)
    state = sandbox_pool.get("separated")
    relay = TcpRelay(int(moto.rsplit(":", 1)[1]), cut_on=b"Action=CreateOpenIDConnectProvider").start()
    dev = "333333333333"
    accounts = {"development": {"id": dev, "role_arn": "arn:aws:iam::%s:role/krci-automation" % dev,
                                "clusters": ["workloads"]}}
    path = inventory(tmp_path, relay.url, state, accounts=accounts, secrets_backends={"dev": "aws_parameter_store"},
                     vault_kms_cluster=None)
    try:
        failed = playbook(path, env)
        assert failed.returncode != 0 and relay.cut, failed.stdout[-4000:]
        # The failure names the service, the call and the object; the collection's retries rode it out first.
        assert "iam create_open_id_connect_provider: cannot reach the iam endpoint" in failed.stdout, \
            failed.stdout[-4000:]
        eks = account(moto, dev, "eks")
        assert eks.list_clusters()["clusters"] == ["krci-workloads"]  # half-made: the cluster exists, its IRSA not
        assert account(moto, dev, "iam").list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
        relay.start()
        again = playbook(path, env)
        assert_ok(again)
    finally:
        relay.stop()
    # Nothing twice: one VPC, two subnets and one security group, one EKS cluster and node group, exactly the planned
    # roles, one OIDC provider, one repository per name.
    ec2, iam, ecr = (account(moto, dev, service) for service in ("ec2", "iam", "ecr"))
    assert eks.list_clusters()["clusters"] == ["krci-workloads"]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["krci-workloads"]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    assert len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]) == 2
    assert len(ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]},
        {"Name": "group-name", "Values": ["krci-workloads-control-plane"]}])["SecurityGroups"]) == 1
    assert eks.list_nodegroups(clusterName="krci-workloads")["nodegroups"] == ["builds"]
    roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("krci-workloads"))
    assert roles == ["krci-workloads-eks-cluster", "krci-workloads-eks-nodes", "krci-workloads-external-secrets"]
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1
    assert sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"]) == [
        "krci/krci-demo", "krci/orders"]


def test_openbao_unseals_itself_with_the_kms_key_the_aws_play_made(moto, tools_env, tmp_path, sandbox_pool):
    """A real OpenBao (2.6, the last release with the awskms seal built in) with exactly the seal stanza the vault
    role's install writes for this inventory, using the key the first test's aws play made, with a session of
    Vault's IRSA role: vault_init makes recovery keys (no unseal key exists), the server unseals itself, and again
    after a restart with no key given. vault_rekey rotates the recovery keys (sys/rotate/recovery, verified) into
    their store: the old ones are refused, the new ones taken, and the re-run changes nothing. Then its storage is
    lost, and vault_raft_restore puts a backup's snapshot into the new, uninitialized server: it unseals itself with
    the KMS key, with the backup's data, root token and recovery keys; the re-run changes nothing. moto does not enforce key policies, so the test reads them: only Vault's role
    may use the key, and Vault's role may use that key alone."""
    import time

    import requests

    from sandbox import build, procs

    env = aws_env(tools_env)
    path = inventory(tmp_path, moto, sandbox_pool.get("separated"))
    # The seal as the vault role derives it for the platform cluster (its defaults, this inventory).
    hcl_file = tmp_path / "seal.hcl"
    play = tmp_path / "seal.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "platform", "gather_facts": False,
        "vars_files": [str(REPO / "roles" / "vault" / "defaults" / "main.yml")],
        "tasks": [{"ansible.builtin.copy": {
            "content": "{{ (vault_seal | krci.platform.vault_seal_config(vault_seal_plugin, '%s')).hcl }}"
                       % build.versions.OPENBAO_AWSKMS, "dest": str(hcl_file), "mode": "0600"},
            "delegate_to": "localhost"}]}]))
    assert_ok(run(["ansible-playbook", "-i", path, play], env))
    seal = hcl_file.read_text()
    assert 'kms_key_id = "alias/krci-platform-vault-unseal"' in seal and "access_key" not in seal, seal

    # Vault's role: trusts exactly vault/openbao of the platform cluster's issuer; uses exactly its key.
    iam, kms = account(moto, DEV, "iam"), account(moto, DEV, "kms")
    key = kms.describe_key(KeyId="alias/krci-platform-vault-unseal")["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER" and kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    role = iam.get_role(RoleName="krci-platform-vault")["Role"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert "system:serviceaccount:vault:openbao" in trust["Condition"]["StringEquals"].values()
    document = iam.get_role_policy(RoleName="krci-platform-vault", PolicyName="krci-platform")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert [r for s in document["Statement"] for r in s["Resource"]] == [key["Arn"]]
    key_policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    users = [s["Principal"]["AWS"] for s in key_policy["Statement"] if s["Action"] != "kms:*"]
    assert users == [role["Arn"]]
    # The production account has no key of Vault's.
    assert not [a for a in account(moto, PROD, "kms").list_aliases()["Aliases"] if "vault" in a["AliasName"]]

    # The server, with a session of Vault's role (on EKS the pod's IRSA web identity gives it).
    sts = account(moto, DEV, "sts")
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="openbao")["Credentials"]
    port, cluster_port = procs.free_port(), procs.free_port()
    addr = "http://127.0.0.1:%d" % port
    (tmp_path / "data").mkdir()
    config = tmp_path / "openbao.hcl"
    config.write_text('storage "raft" {\n  path = "%s"\n  node_id = "n1"\n}\n'
                      'listener "tcp" {\n  address = "127.0.0.1:%d"\n  cluster_address = "127.0.0.1:%d"\n'
                      '  tls_disable = true\n}\napi_addr = "%s"\ncluster_addr = "http://127.0.0.1:%d"\n'
                      'disable_mlock = true\n%s' % (tmp_path / "data", port, cluster_port, addr, cluster_port, seal))
    bao_env = dict(env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                   AWS_SESSION_TOKEN=creds["SessionToken"])
    session = requests.Session()
    session.trust_env = False

    def start():
        log = open(tmp_path / "openbao.log", "ab")  # pylint: disable=consider-using-with
        process = subprocess.Popen([str(build.openbao_awskms()), "server", "-config", str(config)], env=bao_env,
                                   stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "openbao.log").read_text()[-3000:]
            try:
                return process, session.get(addr + "/v1/sys/seal-status", timeout=2).json()
            except requests.RequestException:
                assert time.monotonic() < deadline, (tmp_path / "openbao.log").read_text()[-3000:]
                time.sleep(0.3)

    keys, credential = tmp_path / "keys.json", tmp_path / "credential.json"
    process, status = start()
    try:
        assert status["type"] == "awskms" and not status["initialized"]
        moto_server.reset(moto)
        tasks = [
            {"krci.platform.vault_init": {"url": addr, "key_shares": 3, "key_threshold": 2,
                                          "key_destination": {"type": "file", "path": str(keys)},
                                          "credential_destination": {"type": "file", "path": str(credential)}}},
            {"krci.platform.vault_unseal": {"url": addr, "key_source": {"type": "file", "path": str(keys)}},
             "register": "unseal"},
            {"ansible.builtin.assert": {"that": ["not unseal.changed"]}},
        ]
        play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
        assert_ok(run(["ansible-playbook", play], dict(env, ANSIBLE_LOCALHOST_WARNING="false",
                                                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false")))
        stored = json.loads(keys.read_text())
        assert len(stored["recovery_keys_base64"]) == 3 and not stored.get("keys_base64"), sorted(stored)
        status = session.get(addr + "/v1/sys/seal-status", timeout=5).json()
        assert status["initialized"] and not status["sealed"] and status["type"] == "awskms"
        # OpenBao wrapped its root key with the KMS key: moto served its Encrypt.
        assert "kms:Encrypt" in moto_server.actions(moto_server.requests_made(MOTO_LOGS[moto]))
        # The recovery keys rotate (sys/rotate/recovery, verified) into the same store; the old ones are refused.
        old = stored["recovery_keys"]
        root = json.loads(credential.read_text())["root_token"]
        rekey = {"krci.platform.vault_rekey": {"url": addr, "key_destination": {"type": "file", "path": str(keys)},
                                               "token": root, "rotation_id": "recovery-1"}, "register": "rekey"}
        for changed in (True, False):  # the re-run with the same rotation_id changes nothing
            play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                rekey, {"ansible.builtin.assert": {"that": ["rekey.changed == %s" % changed]}}]}]))
            assert_ok(run(["ansible-playbook", play], dict(env, ANSIBLE_LOCALHOST_WARNING="false",
                                                            ANSIBLE_INVENTORY_UNPARSED_WARNING="false")))
        rotated = json.loads(keys.read_text())
        assert rotated["rotation"] == "recovery-1" and "pending" not in rotated
        assert len(rotated["recovery_keys"]) == 3 and not set(rotated["recovery_keys"]) & set(old)
        client = VaultClient(addr, token=root)
        assert not _vault_rotation.keys_valid(client, "sys/rotate/recovery", old, 2)
        assert _vault_rotation.keys_valid(client, "sys/rotate/recovery", rotated["recovery_keys"], 2)
    finally:
        process.terminate()
        process.wait(30)
    # Restarted with no key given: it unseals itself (KMS Decrypt).
    process, status = start()
    try:
        deadline = time.monotonic() + 30
        while status["sealed"]:
            assert time.monotonic() < deadline, (tmp_path / "openbao.log").read_text()[-3000:]
            time.sleep(0.5)
            status = session.get(addr + "/v1/sys/seal-status", timeout=5).json()
        assert "kms:Decrypt" in moto_server.actions(moto_server.requests_made(MOTO_LOGS[moto]))
        # A backup's snapshot of it: a policy written before, the archive's artifact as backup.yml encrypts it.
        headers = {"X-Vault-Token": root}
        written = session.put(addr + "/v1/sys/policies/acl/drill", headers=headers, timeout=10,
                              json={"policy": 'path "kv/drill" { capabilities = ["read"] }'})
        assert written.status_code == 204, written.text
        snapshot = session.get(addr + "/v1/sys/storage/raft/snapshot", headers=headers, timeout=30)
        assert snapshot.status_code == 200, snapshot.text
        private = x25519.X25519PrivateKey.generate()
        archive = tmp_path / "archive"
        archive.mkdir()
        _backup.write_artifact(str(archive / "openbao-raft-snapshot.enc"), private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            "openbao-raft-snapshot", [snapshot.content])
    finally:
        process.terminate()
        process.wait(30)

    # Lost: its storage wiped. The new server, with the same KMS key, is uninitialized; vault_raft_restore gives it
    # the snapshot, it unseals itself, and the data, the root token and the rotated recovery keys are the backup's.
    shutil.rmtree(tmp_path / "data")
    (tmp_path / "data").mkdir()
    process, status = start()
    try:
        assert status["type"] == "awskms" and not status["initialized"]
        restored = tmp_path / "restored-keys.json"
        restore = {"krci.platform.vault_raft_restore": {
            "url": addr, "archive": str(archive), "name": "openbao-raft-snapshot", "archived_version": status["version"],
            "identity": private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode(),
            "unseal_keys": rotated["recovery_keys"], "key_destination": {"type": "file", "path": str(restored)}},
            "register": "restore"}
        for changed in (True, False):  # the re-run finds it initialized, unsealed and its keys in the store
            play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                restore, {"ansible.builtin.assert": {"that": ["restore.changed == %s" % changed]}}]}]))
            assert_ok(run(["ansible-playbook", play], dict(env, ANSIBLE_LOCALHOST_WARNING="false",
                                                            ANSIBLE_INVENTORY_UNPARSED_WARNING="false")))
        status = session.get(addr + "/v1/sys/seal-status", timeout=5).json()
        assert status["initialized"] and not status["sealed"]
        policy = session.get(addr + "/v1/sys/policies/acl/drill", headers=headers, timeout=10)
        assert policy.status_code == 200 and "kv/drill" in policy.json()["data"]["policy"], policy.text
        assert json.loads(restored.read_text())["recovery_keys"] == rotated["recovery_keys"]
        assert _vault_rotation.keys_valid(VaultClient(addr, token=root), "sys/rotate/recovery",
                                          rotated["recovery_keys"], 2)
    finally:
        process.terminate()
        process.wait(30)


# The other two options, each in its own pair of accounts of the module's moto: the seed's development and
# production accounts (production's account holds no push-target cluster: shared's staging is push, so it lives with
# the platform).
OPTIONS = {
    "shared": {"development": ("444444444444", ["platform", "staging"]), "production": ("555555555555", ["production"]),
               "backends": {"test": "aws_parameter_store", "production": "aws_secrets_manager"}},
    "isolated": {"development": ("666666666666", ["platform", "dev", "test", "uat"]),
                 "production": ("777777777777", ["staging", "production"]),
                 "backends": {"uat": "aws_parameter_store", "staging": "aws_secrets_manager",
                              "production": "aws_secrets_manager"}},
}


def option_inventory(where, moto, option, acm=None):
    """A topology of ``option`` on AWS alone (its clusters' kubeconfigs name EKS endpoints no test reaches: the
    Kubernetes side of these options is the same per-cluster play the separated sandbox proves)."""
    spec = OPTIONS[option]
    aws = {"region": REGION, "endpoint_url": moto, "vault_kms_cluster": "platform",
           "accounts": dict((account_name, {
               "id": spec[account_name][0], "role_arn": "arn:aws:iam::%s:role/krci-automation" % spec[account_name][0],
               "clusters": spec[account_name][1]}) for account_name in ("development", "production")),
           "secrets_backends": spec["backends"], "ecr": {"repositories": ["orders"]}}
    if acm:
        aws["acm"] = acm
    return moto_server.aws_only_topology(where, option, aws, spec["development"][1] + spec["production"][1])


def runs_at_once(env, *argvs):
    processes = [subprocess.Popen(["ansible-playbook"] + [str(a) for a in argv], env=env, cwd=str(REPO),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for argv in argvs]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


# No sandbox (AWS alone, in moto): it runs with the tests that need none, in the other stream of make test than
# the separated tests (which have the most to do).
@pytest.mark.sandbox(None)
def test_shared_and_isolated_converge_on_aws_each_cluster_in_its_own_account(moto, tools_env, tmp_path):
    """Both options' first converge at once, then both no-op re-runs at once: changed=0 and no AWS write in moto's
    recording. Isolated's production imports its ingress certificate from the controller's PEM files (the other
    path of aws.acm), into production's account only."""
    from sandbox.pki import CertificateAuthority

    env = aws_env(tools_env)
    (tmp_path / "isolated").mkdir()
    cert, key = CertificateAuthority(tmp_path / "isolated" / "pki", common_name="krci-test-ca").issue(
        "production-ingress", "*.production.example.com", dns_names=("*.production.example.com",), server=True)
    acm = {"isolated": {"production": {"import": {"certificate": str(cert), "private_key": str(key)}}}}
    paths = [option_inventory(tmp_path / option, moto, option, acm.get(option)) for option in OPTIONS]
    aws_yml = REPO / "playbooks" / "aws.yml"
    for result in runs_at_once(env, *[["-i", path, aws_yml] for path in paths]):
        summary = assert_ok(result)
        assert all(r["changed"] > 0 for host, r in summary.items() if host != "localhost"), summary
    moto_server.reset(moto)
    for result in runs_at_once(env, *[["-i", path, aws_yml] for path in paths]):
        summary = assert_ok(result)
        assert all(r["changed"] == 0 for r in summary.values()), "\n".join(changed_tasks(result.stdout))
    assert [r for r in moto_server.requests_made(MOTO_LOGS[moto]) if r["write"]] == []
    # The imported certificate: in production's account, tagged with its name, the controller's certificate.
    isolated_prod = OPTIONS["isolated"]["production"][0]
    acm_prod = account(moto, isolated_prod, "acm")
    [summary] = acm_prod.list_certificates()["CertificateSummaryList"]
    tags = acm_prod.list_tags_for_certificate(CertificateArn=summary["CertificateArn"])["Tags"]
    assert {"Key": "Name", "Value": "krci-production-ingress"} in tags
    assert acm_prod.get_certificate(CertificateArn=summary["CertificateArn"])["Certificate"].strip() == \
        cert.read_text().strip()
    assert account(moto, OPTIONS["isolated"]["development"][0], "acm").list_certificates()[
        "CertificateSummaryList"] == []
    for option, spec in OPTIONS.items():
        (dev, dev_clusters), (prod, prod_clusters) = spec["development"], spec["production"]
        for account_id, names in ((dev, dev_clusters), (prod, prod_clusters)):
            assert sorted(account(moto, account_id, "eks").list_clusters()["clusters"]) == sorted(
                "krci-%s" % n for n in names), option
            roles = set(r["RoleName"] for r in account(moto, account_id, "iam").list_roles()["Roles"])
            # External Secrets' role exactly on the clusters of an environment kept in AWS; Vault's on the platform.
            clusters = _topology_clusters(option)
            expected = set("krci-%s-external-secrets" % n for n in names
                           if set(clusters[n]) & set(spec["backends"]))
            expected |= set(["krci-platform-vault"]) if "platform" in names else set()
            assert set(r for r in roles if r.endswith(("-external-secrets", "-vault"))) == expected, option
        assert account_documents_naming(moto, dev, prod) == [] and account_documents_naming(moto, prod, dev) == []


def _topology_clusters(option):
    """{cluster: its environments} of the option, as the topology inventory plugin derives it."""
    from ansible_collections.krci.platform.plugins.module_utils import _topology

    return dict((c["name"], c["environments"]) for c in _topology.clusters(option))


BAD_INPUT = [
    ({"region": "eu-central"}, "aws.region: 'eu-central' is not an AWS region"),
    ({"accounts": {"development": {"id": "1234", "clusters": ["platform", "workloads", "staging", "production"]}}},
     "aws.accounts.development.id: '1234' is not an AWS account id"),
    ({"accounts": {"development": {"id": DEV, "clusters": ["platform", "workloads"]},
                   "production": {"id": PROD, "clusters": ["staging", "production", "workloads"]}}},
     "clusters.workloads: in two AWS accounts, development and production"),
    ({"secrets_backends": {"dev": "consul"}}, "aws.secrets_backends.dev: unknown secrets backend 'consul'"),
    ({"irsa": {"default/builder": {"policy_arns": []}}},
     "aws.irsa.default/builder: the plan knows no IRSA role for ServiceAccount default/builder"),
]


# An account without role_arn is worked in with the controller's own credentials: moto's default account here,
# not the account the inventory names. The run reads whose session it is and stops before any write.
WRONG_SESSION = ({"accounts": {"development": {"id": DEV, "clusters": ["platform", "workloads"]}},
                  "secrets_backends": {"dev": "aws_parameter_store"}},
                 "platform: the AWS session is in account 123456789012")


def test_bad_input_fails_naming_the_field_before_any_aws_call(moto, tools_env, tmp_path, sandbox_pool):
    """Each case in its own inventory, all run at once; none may write to AWS (moto's request recording)."""
    env = aws_env(tools_env)
    state = sandbox_pool.get("separated")
    moto_server.reset(moto)
    runs = []
    for index, (changes, message) in enumerate(BAD_INPUT + [WRONG_SESSION]):
        where = tmp_path / str(index)
        where.mkdir()
        path = inventory(where, moto, state, **changes)
        runs.append((message, subprocess.Popen(
            ["ansible-playbook", "-i", str(path), str(REPO / "playbooks" / "aws.yml")], env=env, cwd=str(REPO),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    for message, process in runs:
        stdout, _stderr = process.communicate(timeout=300)
        assert process.returncode != 0
        assert message in stdout, stdout[-3000:]
        if message != WRONG_SESSION[1]:  # the aws block's errors stop the run before any AWS call
            assert "Assume the automation role" not in stdout
    assert [r for r in moto_server.requests_made(MOTO_LOGS[moto]) if r["write"]] == []
