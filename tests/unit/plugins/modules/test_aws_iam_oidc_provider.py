"""aws_iam_oidc_provider against moto's IAM (in process): create, no-op, check mode, drift repaired, removal."""

import functools

import pytest

from ansible_collections.krci.platform.plugins.module_utils._aws_client import AwsClient, AwsError
from ansible_collections.krci.platform.plugins.modules import aws_iam_oidc_provider
from ansible_collections.krci.platform.plugins.plugin_utils._in_process import InProcessModule, ModuleExit

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

ISSUER = "https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE"
WRITES = ("create", "add_", "remove_", "update_", "tag_", "untag_", "delete_")


def run(check_mode=False, diff=False, **args):
    params = dict({"url": ISSUER, "region": "eu-central-1"}, **args)
    try:
        aws_iam_oidc_provider.main(module_class=functools.partial(
            InProcessModule, "aws_iam_oidc_provider", params, check_mode, diff))
    except ModuleExit as done:
        return done.result
    raise AssertionError("no result")


@pytest.fixture(name="iam")
def iam_fixture(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with moto.mock_aws():
        yield boto3.client("iam", region_name="eu-central-1")


def writes(result):
    return [c for c in result["calls"] if c.split(" ", 1)[1].startswith(WRITES)]


def test_created_once_then_left_alone(iam):
    planned = run(check_mode=True, diff=True, tags={"krci.platform/cluster": "platform"})
    assert planned["changed"] and writes(planned) == []
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    first = run(tags={"krci.platform/cluster": "platform"})
    assert first["changed"] and first["arn"].endswith(":oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE")
    found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=first["arn"])
    assert found["ClientIDList"] == ["sts.amazonaws.com"]
    assert found["Tags"] == [{"Key": "krci.platform/cluster", "Value": "platform"}]
    again = run(tags={"krci.platform/cluster": "platform"})
    assert again["changed"] is False and writes(again) == [] and again["arn"] == first["arn"]
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1


def test_tag_drift_is_repaired_and_shown_in_the_diff(iam):
    arn = run(tags={"a": "1", "b": "2"})["arn"]
    result = run(diff=True, tags={"a": "1", "c": "3"})
    assert result["changed"]
    assert sorted(c.split(" ")[1] for c in writes(result)) == [
        "tag_open_id_connect_provider", "untag_open_id_connect_provider"]
    assert result["diff"]["before"]["tags"] == {"a": "1", "b": "2"}
    assert result["diff"]["after"]["tags"] == {"a": "1", "c": "3"}
    found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert sorted((t["Key"], t["Value"]) for t in found["Tags"]) == [("a", "1"), ("c", "3")]


def test_client_id_drift_is_repaired_one_by_one():
    """moto has no Add/RemoveClientID: botocore's Stubber checks the calls against IAM's real API model."""
    from botocore.stub import Stubber  # pylint: disable=import-outside-toplevel

    aws = AwsClient(access_key="testing", secret_key="testing", region="eu-central-1")
    iam = aws.client("iam")
    arn = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE"
    with Stubber(iam) as stub:
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": arn}]})
        stub.add_response("get_open_id_connect_provider",
                          {"Url": ISSUER[8:], "ClientIDList": ["intruder", "sts.amazonaws.com"], "ThumbprintList": []},
                          {"OpenIDConnectProviderArn": arn})
        stub.add_response("add_client_id_to_open_id_connect_provider", {},
                          {"OpenIDConnectProviderArn": arn, "ClientID": "vault"})
        stub.add_response("remove_client_id_from_open_id_connect_provider", {},
                          {"OpenIDConnectProviderArn": arn, "ClientID": "intruder"})
        changed, found, before, after = aws_iam_oidc_provider.converge(
            aws, ISSUER, {"client_ids": ["sts.amazonaws.com", "vault"], "thumbprints": [], "tags": {}}, "present", False)
        stub.assert_no_pending_responses()
    assert changed and found == arn
    assert before["client_ids"] == ["intruder", "sts.amazonaws.com"] and after["client_ids"] == ["sts.amazonaws.com", "vault"]


def test_a_throttled_call_is_retried_and_a_refusal_names_the_call():
    from botocore.stub import Stubber  # pylint: disable=import-outside-toplevel

    aws = AwsClient(access_key="testing", secret_key="testing", region="eu-central-1", sleep=lambda _s: None)
    with Stubber(aws.client("iam")) as stub:
        stub.add_client_error("list_open_id_connect_providers", "Throttling", "Rate exceeded", 400)
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": []})
        stub.add_client_error("create_open_id_connect_provider", "AccessDenied", "not authorized", 403)
        with pytest.raises(AwsError) as raised:
            aws_iam_oidc_provider.converge(aws, ISSUER, {"client_ids": ["sts.amazonaws.com"], "thumbprints": [],
                                                         "tags": {}}, "present", False)
    assert "iam create_open_id_connect_provider failed: AccessDenied: not authorized" in str(raised.value)
    assert "docs/aws.md lists the ones the run needs" in str(raised.value)
    assert aws.calls == ["iam list_open_id_connect_providers", "iam create_open_id_connect_provider"]


def test_absent_removes_it_and_then_is_a_no_op(iam):
    run()
    assert run(state="absent", check_mode=True)["changed"]
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1
    assert run(state="absent")["changed"]
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert run(state="absent")["changed"] is False


@pytest.mark.parametrize("args, message", [
    ({"url": "http://oidc.example.com"}, "url: 'http://oidc.example.com' is not an https issuer URL"),
    ({"thumbprints": ["abc"]}, "thumbprints: abc are not SHA-1 fingerprints"),
    ({"client_ids": []}, "client_ids: empty"),
])
def test_bad_input_fails_before_any_call(iam, args, message):
    result = run(**args)
    assert result["failed"] and message in result["msg"]
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_a_provider_created_by_another_run_between_read_and_write_is_adopted():
    from botocore.stub import Stubber  # pylint: disable=import-outside-toplevel

    aws = AwsClient(access_key="testing", secret_key="testing", region="eu-central-1")
    arn = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE"
    want = {"client_ids": ["sts.amazonaws.com"], "thumbprints": [], "tags": {}}
    with Stubber(aws.client("iam")) as stub:
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": []})
        stub.add_client_error("create_open_id_connect_provider", "EntityAlreadyExists", "exists", 409)
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": arn}]})
        stub.add_response("get_open_id_connect_provider",
                          {"Url": ISSUER[8:], "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []},
                          {"OpenIDConnectProviderArn": arn})
        changed, found, _before, _after = aws_iam_oidc_provider.converge(aws, ISSUER, want, "present", False)
        stub.assert_no_pending_responses()
    assert changed is False and found == arn
