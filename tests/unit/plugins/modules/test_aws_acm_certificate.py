"""aws_acm_certificate against botocore's ACM and Route 53 API models (Stubber): the request, its DNS validation
records written once into the zone, the wait until issued; a converged certificate makes no write; changed names get
a new certificate and the old one is reported, never deleted; a failed validation is named."""

import datetime

import pytest

from ansible_collections.krci.platform.plugins.module_utils._aws_client import AwsClient, AwsError
from ansible_collections.krci.platform.plugins.modules import aws_acm_certificate

Stubber = pytest.importorskip("botocore.stub").Stubber

ARN = "arn:aws:acm:eu-central-1:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
OLD = "arn:aws:acm:eu-central-1:111111111111:certificate/0000abcd-12ab-34cd-56ef-1234567890ab"
ZONE = "Z0123456789ABC"
PARAMS = {"name": "krci-platform-ingress", "domain_name": "*.platform.example.com",
          "subject_alternative_names": ["platform.example.com"], "hosted_zone_id": ZONE, "tags": {"team": "krci"},
          "wait": True, "wait_timeout": 60}
TAGS = ({"Key": "Name", "Value": "krci-platform-ingress"}, {"Key": "team", "Value": "krci"})
RECORD = {"Name": "_x.platform.example.com.", "Type": "CNAME", "Value": "_y.acm-validations.aws."}
NAMES = ("*.platform.example.com", "platform.example.com")


def client():
    return AwsClient(access_key="testing", secret_key="testing", region="eu-central-1")


def certificate(arn, status, names=NAMES, record=True):
    options = [dict({"DomainName": n, "ValidationStatus": "SUCCESS" if status == "ISSUED" else status},
                    **({"ResourceRecord": RECORD} if record else {})) for n in names]
    return {"Certificate": {"CertificateArn": arn, "DomainName": names[0], "SubjectAlternativeNames": list(names),
                            "Status": status, "DomainValidationOptions": options,
                            "CreatedAt": datetime.datetime(2026, 12, 1 if arn == OLD else 2)}}


def listed(stub, *arns):
    stub.add_response("list_certificates", {"CertificateSummaryList": [{"CertificateArn": a} for a in arns]},
                      {"CertificateStatuses": aws_acm_certificate.LISTED})


def tags(stub, arn, values=TAGS):
    stub.add_response("list_tags_for_certificate", {"Tags": list(values)}, {"CertificateArn": arn})


def no_sleep():
    clock = iter(range(1000))
    return {"sleep": lambda s: None, "clock": lambda: next(clock)}


def test_a_certificate_is_requested_validated_in_its_zone_and_waited_for():
    aws = client()
    with Stubber(aws.client("acm")) as acm, Stubber(aws.client("route53")) as route53:
        listed(acm)
        acm.add_response("request_certificate", {"CertificateArn": ARN}, {
            "DomainName": "*.platform.example.com", "ValidationMethod": "DNS",
            "IdempotencyToken": aws_acm_certificate.hashlib.sha256(
                b"krci-platform-ingress|*.platform.example.com,platform.example.com").hexdigest()[:32],
            "SubjectAlternativeNames": list(NAMES), "Tags": list(TAGS)})
        # ACM fills the records a moment after the request.
        acm.add_response("describe_certificate", certificate(ARN, "PENDING_VALIDATION", record=False),
                         {"CertificateArn": ARN})
        tags(acm, ARN)
        acm.add_response("describe_certificate", certificate(ARN, "PENDING_VALIDATION"), {"CertificateArn": ARN})
        route53.add_response("list_resource_record_sets", {"ResourceRecordSets": [], "IsTruncated": False,
                                                           "MaxItems": "1"},
                             {"HostedZoneId": ZONE, "StartRecordName": RECORD["Name"], "StartRecordType": "CNAME",
                              "MaxItems": "1"})
        route53.add_response("change_resource_record_sets", {"ChangeInfo": {
            "Id": "c1", "Status": "PENDING", "SubmittedAt": datetime.datetime(2026, 12, 2)}}, {
            "HostedZoneId": ZONE, "ChangeBatch": {"Comment": "krci.platform: ACM DNS validation", "Changes": [
                {"Action": "UPSERT", "ResourceRecordSet": {"Name": RECORD["Name"], "Type": "CNAME", "TTL": 300,
                                                           "ResourceRecords": [{"Value": RECORD["Value"]}]}}]}})
        acm.add_response("describe_certificate", certificate(ARN, "ISSUED"), {"CertificateArn": ARN})
        changed, fields, before, after = aws_acm_certificate.converge(aws, dict(PARAMS), False, **no_sleep())
        acm.assert_no_pending_responses()
        route53.assert_no_pending_responses()
    assert changed and before is None and after["status"] == "ISSUED"
    assert fields["arn"] == ARN and fields["superseded"] == []
    # One record for both names (a wildcard and its apex share it), written once.
    assert fields["validation_records"] == [{"name": RECORD["Name"], "type": "CNAME", "value": RECORD["Value"]}]


def test_an_issued_certificate_makes_no_write_and_changed_names_get_a_new_one_the_old_reported():
    aws = client()
    with Stubber(aws.client("acm")) as acm:
        listed(acm, ARN)
        tags(acm, ARN)
        acm.add_response("describe_certificate", certificate(ARN, "ISSUED"), {"CertificateArn": ARN})
        changed, fields, before, after = aws_acm_certificate.converge(aws, dict(PARAMS), False, **no_sleep())
        assert not changed and before == after and fields["status"] == "ISSUED"
        # Another name: check mode names the request to come and keeps the old certificate.
        listed(acm, ARN)
        tags(acm, ARN)
        acm.add_response("describe_certificate", certificate(ARN, "ISSUED"), {"CertificateArn": ARN})
        wider = dict(PARAMS, subject_alternative_names=["platform.example.com", "sso.example.com"])
        changed, fields, before, after = aws_acm_certificate.converge(aws, wider, True, **no_sleep())
        acm.assert_no_pending_responses()
    assert changed and fields["status"] == "TO_BE_REQUESTED" and fields["superseded"] == [ARN]
    assert after["names"] == ["*.platform.example.com", "platform.example.com", "sso.example.com"]


def test_a_failed_validation_is_named_with_its_reason():
    aws = client()
    failed = certificate(OLD, "FAILED")
    failed["Certificate"]["FailureReason"] = "CAA_ERROR"
    with Stubber(aws.client("acm")) as acm:
        listed(acm, OLD)
        tags(acm, OLD)
        acm.add_response("describe_certificate", failed, {"CertificateArn": OLD})
        # The failed one is replaced: a new request, which then fails too.
        acm.add_response("request_certificate", {"CertificateArn": ARN})
        acm.add_response("describe_certificate", failed_copy(ARN), {"CertificateArn": ARN})
        tags(acm, ARN)
        with pytest.raises(AwsError, match=r"ACM certificate %s is FAILED \(CAA_ERROR\)" % ARN):
            aws_acm_certificate.converge(aws, dict(PARAMS, hosted_zone_id=None), False, **no_sleep())


def failed_copy(arn):
    failed = certificate(arn, "FAILED")
    failed["Certificate"]["FailureReason"] = "CAA_ERROR"
    return failed


def imported(arn, names=("*.production.example.com",)):
    return {"Certificate": {"CertificateArn": arn, "DomainName": names[0], "SubjectAlternativeNames": list(names),
                            "Status": "ISSUED", "Type": "IMPORTED", "CreatedAt": datetime.datetime(2026, 12, 2)}}


def test_an_imported_certificate_is_imported_again_only_when_its_leaf_changed_and_into_the_same_arn(tmp_path):
    from sandbox.pki import CertificateAuthority

    ca = CertificateAuthority(tmp_path)
    cert, key = ca.issue("ingress", "*.production.example.com", dns_names=("*.production.example.com",), server=True)
    renewed, renewed_key = ca.issue("renewed", "*.production.example.com", dns_names=("*.production.example.com",),
                                    server=True)
    params = {"name": "krci-production-ingress", "certificate": cert.read_text(), "private_key": key.read_text(),
              "certificate_chain": None, "tags": {}}
    name_tag = ({"Key": "Name", "Value": "krci-production-ingress"},)
    aws = client()
    # The same leaf in ACM (whatever chain ACM gives back): no write.
    with Stubber(aws.client("acm")) as acm:
        listed(acm, ARN)
        tags(acm, ARN, name_tag)
        acm.add_response("describe_certificate", imported(ARN), {"CertificateArn": ARN})
        acm.add_response("get_certificate", {"Certificate": cert.read_text(), "CertificateChain": "unrelated"},
                         {"CertificateArn": ARN})
        changed, fields, _before, _after = aws_acm_certificate.converge(aws, params, False)
        acm.assert_no_pending_responses()
    assert changed is False and fields["arn"] == ARN
    # A renewed leaf: imported again into the same ARN (the load balancers keep it), tags kept.
    params = dict(params, certificate=renewed.read_text(), private_key=renewed_key.read_text())
    with Stubber(aws.client("acm")) as acm:
        listed(acm, ARN)
        tags(acm, ARN, name_tag)
        acm.add_response("describe_certificate", imported(ARN), {"CertificateArn": ARN})
        acm.add_response("get_certificate", {"Certificate": cert.read_text()}, {"CertificateArn": ARN})
        acm.add_response("import_certificate", {"CertificateArn": ARN}, {
            "CertificateArn": ARN, "Certificate": renewed.read_bytes(), "PrivateKey": renewed_key.read_bytes()})
        acm.add_response("describe_certificate", imported(ARN), {"CertificateArn": ARN})
        changed, fields, before, after = aws_acm_certificate.converge(aws, params, False)
        acm.assert_no_pending_responses()
    assert changed is True and fields["arn"] == ARN and before["certificate_sha256"] != after["certificate_sha256"]
    # None yet: imported with its Name tag; in check mode nothing is written.
    with Stubber(aws.client("acm")) as acm:
        listed(acm)
        changed, fields, _before, _after = aws_acm_certificate.converge(aws, params, True)
        acm.assert_no_pending_responses()
    assert changed is True and fields["status"] == "TO_BE_IMPORTED" and fields["arn"] is None
