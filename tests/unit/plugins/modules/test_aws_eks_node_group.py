"""aws_eks_node_group: created once and left alone (moto), updated only where it differs (botocore's Stubber, since
moto has no UpdateNodegroupConfig), immutable fields named."""

import functools

import pytest

from ansible_collections.krci.platform.plugins.module_utils._aws_client import AwsClient, AwsError
from ansible_collections.krci.platform.plugins.modules import aws_eks_node_group
from ansible_collections.krci.platform.plugins.plugin_utils._in_process import InProcessModule, ModuleExit

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

NODE_ROLE = "arn:aws:iam::123456789012:role/krci-platform-eks-nodes"
GROUP = {"cluster_name": "krci-platform", "name": "default", "node_role_arn": NODE_ROLE,
         "subnets": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"], "instance_types": ["m6i.large"],
         "disk_size": 50, "min_size": 2, "desired_size": 2, "max_size": 4, "labels": {"krci.platform/pool": "default"},
         "tags": {"krci.platform/cluster": "platform"}, "state": "present", "wait": True, "wait_timeout": 60,
         "region": "eu-central-1"}


def run(check_mode=False, diff=False, **args):
    params = dict(GROUP, **args)
    try:
        aws_eks_node_group.main(module_class=functools.partial(
            InProcessModule, "aws_eks_node_group", params, check_mode, diff))
    except ModuleExit as done:
        return done.result
    raise AssertionError("no result")


@pytest.fixture(name="eks")
def eks_fixture(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with moto.mock_aws():
        client = boto3.client("eks", region_name="eu-central-1")
        client.create_cluster(name="krci-platform", version="1.33", roleArn="arn:aws:iam::123456789012:role/c",
                              resourcesVpcConfig={"subnetIds": GROUP["subnets"]})
        yield client


def test_created_once_then_a_rerun_makes_no_write(eks):
    planned = run(check_mode=True)
    assert planned["changed"] and eks.list_nodegroups(clusterName="krci-platform")["nodegroups"] == []
    first = run()
    assert first["changed"] and "eks create_nodegroup" in first["calls"]
    group = eks.describe_nodegroup(clusterName="krci-platform", nodegroupName="default")["nodegroup"]
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}
    assert group["labels"] == {"krci.platform/pool": "default"} and group["nodeRole"] == NODE_ROLE
    again = run()
    assert again["changed"] is False and again["calls"] == ["eks describe_nodegroup"]


def test_an_immutable_difference_is_named_with_the_way_out(eks):
    run()
    result = run(instance_types=["m6i.xlarge"])
    assert result["failed"]
    assert "instance_types is ['m6i.large'], wanted ['m6i.xlarge']" in result["msg"]
    assert "create one under another name, then remove this one" in result["msg"]


def test_bad_sizes_fail_before_any_call(eks):
    result = run(min_size=3, desired_size=2)
    assert result["failed"] and "min_size <= desired_size <= max_size" in result["msg"] and "calls" not in result


def current(**changes):
    group = {"nodegroupName": "default", "clusterName": "krci-platform", "status": "ACTIVE",
             "nodegroupArn": "arn:aws:eks:eu-central-1:123456789012:nodegroup/krci-platform/default/x",
             "scalingConfig": {"minSize": 2, "maxSize": 4, "desiredSize": 3}, "instanceTypes": ["m6i.large"],
             "diskSize": 50, "subnets": GROUP["subnets"], "nodeRole": NODE_ROLE,
             "labels": {"krci.platform/pool": "default", "stale": "x"}, "tags": {"krci.platform/cluster": "platform"}}
    group.update(changes)
    return {"nodegroup": group}


def test_sizes_and_labels_are_updated_in_one_call_and_the_autoscaler_s_size_is_kept():
    from botocore.stub import Stubber  # pylint: disable=import-outside-toplevel

    aws = AwsClient(access_key="testing", secret_key="testing", region="eu-central-1")
    names = {"clusterName": "krci-platform", "nodegroupName": "default"}
    with Stubber(aws.client("eks")) as stub:
        stub.add_response("describe_nodegroup", current(), names)
        stub.add_response("update_nodegroup_config", {}, dict(
            names, scalingConfig={"minSize": 1, "maxSize": 6, "desiredSize": 3},
            labels={"removeLabels": ["stale"]}))
        stub.add_response("describe_nodegroup", current(), names)
        params = dict(GROUP, min_size=1, max_size=6)
        changed, _group, before, after = aws_eks_node_group.converge(aws, params, False)
        stub.assert_no_pending_responses()
    assert changed and before["desired_size"] == 3 and after["desired_size"] == 3
    assert after["labels"] == {"krci.platform/pool": "default"}


def test_a_size_outside_the_new_range_is_brought_into_it():
    update = aws_eks_node_group.config_update(
        aws_eks_node_group._view(current()["nodegroup"]),  # pylint: disable=protected-access
        dict(GROUP, min_size=4, max_size=8, labels={"krci.platform/pool": "default", "stale": "x"}))
    assert update == {"scalingConfig": {"minSize": 4, "maxSize": 8, "desiredSize": 4}}


def test_a_failed_node_group_is_reported_with_its_health():
    from botocore.stub import Stubber  # pylint: disable=import-outside-toplevel

    aws = AwsClient(access_key="testing", secret_key="testing", region="eu-central-1")
    failed = current(status="CREATE_FAILED", health={"issues": [{"code": "AccessDenied", "message": "no role"}]})
    with Stubber(aws.client("eks")) as stub:
        stub.add_response("describe_nodegroup", failed)
        with pytest.raises(AwsError) as raised:
            aws_eks_node_group.wait_for(aws, "krci-platform", "default", False, 60)
    assert "node group krci-platform/default is CREATE_FAILED: AccessDenied: no role" in str(raised.value)
