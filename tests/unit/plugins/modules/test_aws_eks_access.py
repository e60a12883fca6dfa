"""aws_eks_access_entry and aws_eks_identity_provider: moto has neither access entries nor identity provider
configs, so every call is checked against botocore's EKS API model with its Stubber (parameters and responses
must fit the real API's shapes)."""

import functools

import pytest

from ansible_collections.krci.platform.plugins.module_utils._aws_client import AwsClient, AwsError
from ansible_collections.krci.platform.plugins.modules import aws_eks_access_entry, aws_eks_identity_provider
from ansible_collections.krci.platform.plugins.plugin_utils._in_process import InProcessModule, ModuleExit

Stubber = pytest.importorskip("botocore.stub").Stubber

CLUSTER = "krci-platform"
ROLE = "arn:aws:iam::111111111111:role/krci-automation"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
ENTRY = {"cluster_name": CLUSTER, "principal_arn": ROLE, "kubernetes_groups": [], "username": None,
         "access_policies": [{"policy_arn": ADMIN, "namespaces": []}], "purge_policies": True,
         "authentication_mode": "API_AND_CONFIG_MAP", "state": "present", "wait_timeout": 60}
IDP = {"cluster_name": CLUSTER, "name": "keycloak", "issuer_url": "https://sso.example.com/realms/krci",
       "client_id": "kubernetes", "username_claim": "preferred_username", "username_prefix": "oidc:",
       "groups_claim": "groups", "groups_prefix": "oidc:", "required_claims": {}, "tags": {}, "replace": True,
       "state": "present", "wait": False, "wait_timeout": 60}
ENTRY_ARN = "arn:aws:eks:eu-central-1:111111111111:access-entry/krci-platform/role/111111111111/krci-automation/x"


def client():
    return AwsClient(access_key="testing", secret_key="testing", region="eu-central-1")


def cluster(mode):
    return {"cluster": {"name": CLUSTER, "accessConfig": {"authenticationMode": mode}}}


def entry(groups=()):
    return {"accessEntry": {"clusterName": CLUSTER, "principalArn": ROLE, "kubernetesGroups": list(groups),
                            "accessEntryArn": ENTRY_ARN, "username": ROLE, "type": "STANDARD"}}


def not_found(stub, operation):
    stub.add_client_error(operation, service_error_code="ResourceNotFoundException", http_status_code=404)


def test_an_access_entry_is_created_with_its_policy_after_the_cluster_admits_entries():
    aws = client()
    names = {"clusterName": CLUSTER, "principalArn": ROLE}
    with Stubber(aws.client("eks")) as stub:
        not_found(stub, "describe_access_entry")
        stub.add_response("describe_cluster", cluster("CONFIG_MAP"), {"name": CLUSTER})
        stub.add_response("update_cluster_config", {"update": {"id": "u1", "status": "InProgress"}},
                          {"name": CLUSTER, "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}})
        stub.add_response("describe_update", {"update": {"id": "u1", "status": "Successful"}},
                          {"name": CLUSTER, "updateId": "u1"})
        stub.add_response("create_access_entry", entry(),
                          dict(names, kubernetesGroups=[], type="STANDARD"))
        stub.add_response("associate_access_policy", {}, dict(names, policyArn=ADMIN, accessScope={"type": "cluster"}))
        changed, created, before, after = aws_eks_access_entry.converge(aws, dict(ENTRY), False)
        stub.assert_no_pending_responses()
    assert changed and created["accessEntryArn"] == ENTRY_ARN
    assert before == {"authentication_mode": "CONFIG_MAP"}
    assert after["authentication_mode"] == "API_AND_CONFIG_MAP" and after["policies"] == {ADMIN: {"type": "cluster"}}


def test_a_converged_entry_makes_no_write_and_a_changed_one_only_its_differences():
    aws = client()
    names = {"clusterName": CLUSTER, "principalArn": ROLE}
    associated = {"clusterName": CLUSTER, "principalArn": ROLE, "associatedAccessPolicies": [
        {"policyArn": ADMIN, "accessScope": {"type": "cluster"}}]}
    with Stubber(aws.client("eks")) as stub:
        stub.add_response("describe_access_entry", entry(), names)
        stub.add_response("describe_cluster", cluster("API_AND_CONFIG_MAP"), {"name": CLUSTER})
        stub.add_response("list_associated_access_policies", associated, names)
        changed, _entry, before, after = aws_eks_access_entry.converge(aws, dict(ENTRY), False)
        assert changed is False and before == after
        # Now: a group more, the view policy in one namespace instead of cluster admin.
        stub.add_response("describe_access_entry", entry(), names)
        stub.add_response("describe_cluster", cluster("API_AND_CONFIG_MAP"), {"name": CLUSTER})
        stub.add_response("list_associated_access_policies", associated, names)
        stub.add_response("update_access_entry", entry(["krci-automation"]),
                          dict(names, kubernetesGroups=["krci-automation"]))
        stub.add_response("associate_access_policy", {}, dict(
            names, policyArn=VIEW, accessScope={"type": "namespace", "namespaces": ["krci-dev"]}))
        stub.add_response("disassociate_access_policy", {}, dict(names, policyArn=ADMIN))
        params = dict(ENTRY, kubernetes_groups=["krci-automation"],
                      access_policies=[{"policy_arn": VIEW, "namespaces": ["krci-dev"]}])
        changed, _entry, before, after = aws_eks_access_entry.converge(aws, params, False)
        stub.assert_no_pending_responses()
    assert changed and after["policies"] == {VIEW: {"type": "namespace", "namespaces": ["krci-dev"]}}


def test_check_mode_reads_only_and_a_mode_step_back_is_refused():
    aws = client()
    with Stubber(aws.client("eks")) as stub:
        not_found(stub, "describe_access_entry")
        stub.add_response("describe_cluster", cluster("CONFIG_MAP"))
        changed, _entry, _before, after = aws_eks_access_entry.converge(aws, dict(ENTRY), True)
        assert changed and after["authentication_mode"] == "API_AND_CONFIG_MAP"
        stub.add_response("describe_access_entry", entry())
        stub.add_response("describe_cluster", cluster("API"))
        with pytest.raises(AwsError, match="EKS cannot move it back to API_AND_CONFIG_MAP"):
            aws_eks_access_entry.converge(aws, dict(ENTRY), False)
        stub.assert_no_pending_responses()
    assert aws.calls == ["eks describe_access_entry", "eks describe_cluster"] * 2


def run(module, params, check_mode=False):
    try:
        module.main(module_class=functools.partial(InProcessModule, module.__name__.rsplit(".", 1)[-1], params,
                                                   check_mode, False))
    except ModuleExit as done:
        return done.result
    raise AssertionError("no result")


def test_bad_input_fails_before_any_call():
    result = run(aws_eks_access_entry, dict(ENTRY, principal_arn="krci-automation", region="eu-central-1"))
    assert result["failed"] and "principal_arn must be an IAM role or user ARN" in result["msg"]
    policy = [{"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
    result = run(aws_eks_access_entry, dict(ENTRY, access_policies=policy, region="eu-central-1"))
    assert result["failed"] and "is not an EKS access policy ARN" in result["msg"] and "calls" not in result
    result = run(aws_eks_identity_provider, dict(IDP, issuer_url="http://sso.example.com", region="eu-central-1"))
    assert result["failed"] and "must be https://" in result["msg"] and "calls" not in result


def oidc(**changes):
    config = {"identityProviderConfigName": "keycloak", "issuerUrl": IDP["issuer_url"], "clientId": "kubernetes",
              "usernameClaim": "preferred_username", "usernamePrefix": "oidc:", "groupsClaim": "groups",
              "groupsPrefix": "oidc:", "status": "ACTIVE", "clusterName": CLUSTER}
    config.update(changes)
    return {"identityProviderConfig": {"oidc": config}}


def test_the_identity_provider_is_associated_once_and_left_alone():
    aws = client()
    which = {"clusterName": CLUSTER, "identityProviderConfig": {"type": "oidc", "name": "keycloak"}}
    with Stubber(aws.client("eks")) as stub:
        not_found(stub, "describe_identity_provider_config")
        stub.add_response("associate_identity_provider_config", {"update": {"id": "u2"}}, {
            "clusterName": CLUSTER, "oidc": {
                "identityProviderConfigName": "keycloak", "issuerUrl": IDP["issuer_url"], "clientId": "kubernetes",
                "usernameClaim": "preferred_username", "usernamePrefix": "oidc:", "groupsClaim": "groups",
                "groupsPrefix": "oidc:"}})
        changed, config, before, _after = aws_eks_identity_provider.converge(aws, dict(IDP), False)
        assert changed and before == {} and config["status"] == "CREATING"
        stub.add_response("describe_identity_provider_config", oidc(), which)
        changed, _config, before, after = aws_eks_identity_provider.converge(aws, dict(IDP), False)
        stub.assert_no_pending_responses()
    assert changed is False and before == after


def test_a_different_identity_provider_is_replaced_or_named():
    aws = client()
    with Stubber(aws.client("eks")) as stub:
        stub.add_response("describe_identity_provider_config", oidc(clientId="kubectl"))
        with pytest.raises(AwsError, match="client_id is 'kubectl', wanted 'kubernetes'.*set replace: true"):
            aws_eks_identity_provider.converge(aws, dict(IDP, replace=False), False)
        stub.add_response("describe_identity_provider_config", oidc(clientId="kubectl"))
        stub.add_response("disassociate_identity_provider_config", {"update": {"id": "u3"}})
        not_found(stub, "describe_identity_provider_config")
        stub.add_response("associate_identity_provider_config", {"update": {"id": "u4"}})
        changed, _config, before, after = aws_eks_identity_provider.converge(aws, dict(IDP), False)
        stub.assert_no_pending_responses()
    assert changed and before["client_id"] == "kubectl" and after["client_id"] == "kubernetes"
