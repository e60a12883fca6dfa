"""AwsClient.call: one retry policy (the collection's, not botocore's too), and a broken connection named as such."""

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from ansible_collections.krci.platform.plugins.module_utils._aws_client import AwsClient, AwsError


def client(sleeps):
    return AwsClient(access_key="testing", secret_key="testing", region="eu-central-1",
                     endpoint_url="http://127.0.0.1:9", sleep=sleeps.append)


@pytest.mark.parametrize("error", [
    ConnectionClosedError(endpoint_url="http://127.0.0.1:9/"),
    EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"),
])
def test_a_lost_endpoint_is_retried_then_named_with_the_call(error):
    sleeps, attempts = [], []
    aws = client(sleeps)

    def fail(**_kwargs):
        attempts.append(1)
        raise error

    aws.client("iam").create_open_id_connect_provider = fail
    with pytest.raises(AwsError, match=r"^iam create_open_id_connect_provider: cannot reach the iam endpoint"):
        aws.call("iam", "create_open_id_connect_provider", Url="https://issuer")
    assert len(attempts) == 6 and sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_botocore_itself_does_not_retry():
    aws = client([])
    assert aws.client("iam").meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}
