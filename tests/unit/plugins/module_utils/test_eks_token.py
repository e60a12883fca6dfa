"""EKS tokens as `aws eks get-token` makes them, and the kubeconfig that makes one at each use."""

import datetime
import io
import json
from urllib.parse import parse_qs, urlparse

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _eks_token

boto3 = pytest.importorskip("boto3")


def session():
    return boto3.session.Session(aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret",
                                 region_name="eu-central-1")


def test_the_token_is_a_presigned_get_caller_identity_bound_to_the_cluster():
    bearer = _eks_token.token(session(), "krci-platform", "eu-central-1")
    assert bearer.startswith("k8s-aws-v1.") and "=" not in bearer
    url = urlparse(_eks_token.presigned_url(bearer))
    query = parse_qs(url.query)
    assert url.netloc == "sts.eu-central-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"][0].split(";") == ["host", "x-k8s-aws-id"]
    assert query["X-Amz-Credential"][0].startswith("AKIAEXAMPLE/") and "/eu-central-1/sts/" in query["X-Amz-Credential"][0]
    other = _eks_token.presigned_url(_eks_token.token(session(), "krci-production", "eu-central-1"))
    assert parse_qs(urlparse(other).query)["X-Amz-Signature"] != query["X-Amz-Signature"]


def test_an_endpoint_override_is_where_the_token_points():
    url = _eks_token.presigned_url(_eks_token.token(session(), "c", "eu-central-1", "http://127.0.0.1:5000"))
    assert url.startswith("http://127.0.0.1:5000/?Action=GetCallerIdentity")
    with pytest.raises(ValueError, match="not an EKS token"):
        _eks_token.presigned_url("eyJhbGciOi")


def test_the_kubeconfig_stores_no_secret_and_names_the_role():
    config = _eks_token.kubeconfig("krci-production", "https://ABC.gr7.eu-central-1.eks.amazonaws.com", "LS0tLS1C",
                                   "eu-central-1", "/venv/bin/python", "/c/_eks_token.py",
                                   role_arn="arn:aws:iam::222222222222:role/krci-automation")
    assert config["current-context"] == "krci-production"
    assert config["clusters"][0]["cluster"] == {"server": "https://ABC.gr7.eu-central-1.eks.amazonaws.com",
                                                "certificate-authority-data": "LS0tLS1C"}
    plugin = config["users"][0]["user"]["exec"]
    assert plugin["command"] == "/venv/bin/python" and plugin["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert plugin["args"] == ["/c/_eks_token.py", "--cluster", "krci-production", "--region", "eu-central-1",
                              "--role-arn", "arn:aws:iam::222222222222:role/krci-automation"]


def test_the_exec_plugin_answers_an_exec_credential(monkeypatch):
    monkeypatch.setattr(_eks_token, "session_for", lambda role, region, endpoint: session())
    out = io.StringIO()
    assert _eks_token.main(["--cluster", "krci-platform", "--region", "eu-central-1"], out=out) == 0
    answer = json.loads(out.getvalue())
    assert answer["kind"] == "ExecCredential" and answer["status"]["token"].startswith("k8s-aws-v1.")
    expires = _eks_token.exec_credential("t", now=datetime.datetime(2026, 1, 1))["status"]["expirationTimestamp"]
    assert expires == "2026-01-01T00:00:50Z"
