"""playbooks/aws.yml against moto in server mode (the one stand-in the integration tests allow): per cluster of the
inventory's accounts, its VPC, IAM roles, EKS cluster, IAM OIDC provider and IRSA roles, in that cluster's own account.

moto does not check trust policies or token audiences, so the tests check them: each role's trust condition names
exactly its ServiceAccount, each OIDC provider's URL is its cluster's issuer, each policy reads only its environment.
The Kubernetes side is not reached by this playbook (kubeconfigs only need to parse)."""

import json
import subprocess

import pytest
import yaml

from conftest import REPO, assert_ok, changed_tasks, run, start_moto
from sandbox import moto as moto_server

DEV, PROD = "111111111111", "222222222222"
REGION = "eu-central-1"
CLUSTERS = ("platform", "workloads", "staging", "production")
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


def inventory(tmp_path, moto, **aws_changes):
    """A separated topology whose clusters live in a development and a production account."""
    for name in CLUSTERS:
        (tmp_path / ("%s.kubeconfig" % name)).write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": "https://%s.eks.invalid" % name}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": {"token": "unused"}}]}))
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
    }
    aws.update(aws_changes)
    path = tmp_path / "topology.yml"
    path.write_text(yaml.safe_dump({
        "plugin": "krci.platform.topology", "option": "separated", "aws": aws,
        "clusters": dict((name, {"kubeconfig": str(tmp_path / ("%s.kubeconfig" % name))}) for name in CLUSTERS)}))
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


def playbook(path, env, *extra):
    return run(["ansible-playbook", "-i", path, REPO / "playbooks" / "aws.yml"] + list(extra), env)


def test_each_cluster_s_aws_side_lives_in_its_own_account_and_a_rerun_changes_nothing(moto, tools_env, tmp_path):
    env = aws_env(tools_env)
    path = inventory(tmp_path, moto)
    check = playbook(path, env, "--check", "--diff")
    assert_ok(check)
    assert account(moto, DEV, "eks").list_clusters()["clusters"] == []  # the check run wrote nothing

    first = playbook(path, env)
    assert_ok(first)
    moto_server.reset(moto)
    again = playbook(path, env)
    summary = assert_ok(again)
    assert all(r["changed"] == 0 for r in summary.values()), "\n".join(changed_tasks(again.stdout)) + again.stdout[-6000:]
    # moto's own request log: the no-op read every service it manages and wrote nothing.
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
        [repository] = ecr.describe_repositories()["repositories"]
        assert repository["repositoryName"] == "krci/orders" and repository["registryId"] == account_id
        assert repository["imageTagMutability"] == "IMMUTABLE"
        policy = json.loads(ecr.get_repository_policy(repositoryName="krci/orders")["policyText"])
        principals = [s["Principal"]["AWS"] for s in policy["Statement"]]
        assert principals == ["arn:aws:iam::%s:root" % account_id]
        lifecycle = json.loads(ecr.get_lifecycle_policy(repositoryName="krci/orders")["lifecyclePolicyText"])
        assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["untagged", "any"]

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


def test_bad_input_fails_naming_the_field_before_any_aws_call(moto, tools_env, tmp_path):
    """Each case in its own inventory, all run at once; none may reach AWS (moto's accounts stay empty)."""
    env = aws_env(tools_env)
    runs = []
    for index, (changes, message) in enumerate(BAD_INPUT):
        where = tmp_path / str(index)
        where.mkdir()
        path = inventory(where, moto, **changes)
        runs.append((message, subprocess.Popen(
            ["ansible-playbook", "-i", str(path), str(REPO / "playbooks" / "aws.yml")], env=env, cwd=str(REPO),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    for message, process in runs:
        stdout, _stderr = process.communicate(timeout=300)
        assert process.returncode != 0
        assert message in stdout, stdout[-3000:]
        assert "Assume the automation role" not in stdout
