#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: aws_acm_certificate
short_description: An ACM certificate requested with DNS validation in a Route 53 zone (waited for), or imported
version_added: 0.8.0
description:
  - Makes an Amazon-issued ACM certificate for O(domain_name) and O(subject_alternative_names) exist, found again by
    its C(Name) tag O(name). M(community.aws.acm_certificate) only imports certificates (and re-imports on every run
    where ACM gives the chain back differently); this module requests them, and imports them idempotently.
  - With O(hosted_zone_id), writes the DNS validation records ACM asks for into that Route 53 zone (only those
    missing or different), then waits until ACM has issued the certificate (O(wait_timeout)).
  - An issued certificate cannot change its names. When O(domain_name) or O(subject_alternative_names) differ from
    the certificate found, a new one is requested under the same O(name); the old one is returned in RV(superseded)
    and left in place (a load balancer may still use it), to be deleted once nothing does. A certificate that failed
    validation, expired or was revoked is replaced the same way.
  - With O(certificate) and O(private_key) instead, the certificate is imported (a certificate from your own CA).
    A re-run compares the certificate ACM holds under O(name) with O(certificate) (the leaf, byte for byte) and
    imports again only when it differs - into the same ARN, so the load balancers using it keep it. The chain is not
    compared (a new leaf brings its chain; ACM's answer for a chain differs between AWS and moto).
  - A re-run with everything in place makes no write.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  name:
    description: The certificate's C(Name) tag, by which later runs find it (one per cluster's ingress, say).
    type: str
    required: true
  domain_name:
    description:
      - The certificate's primary name, a DNS name or a wildcard C(*.<domain>), to request.
      - Exactly one of O(domain_name) and O(certificate).
    type: str
  certificate:
    description: The PEM certificate (contents, not a path) to import instead of requesting one.
    type: str
  private_key:
    description: Its PEM private key (contents), with O(certificate).
    type: str
  certificate_chain:
    description: The PEM chain of its issuers (contents), with O(certificate).
    type: str
  subject_alternative_names:
    description: Further names of the certificate (the primary name is always included).
    type: list
    elements: str
    default: []
  hosted_zone_id:
    description:
      - The id of the Route 53 public hosted zone (as C(Z0123456789ABC)) of the names, in the same account, for the
        DNS validation records.
      - Without it, the records are returned in RV(validation_records) for whoever runs the zone, and O(wait) only
        succeeds once they are in place.
    type: str
  tags:
    description: Further tags of the certificate (O(name) is its C(Name) tag); tags not listed here are removed.
    type: dict
    default: {}
  wait:
    description: Wait until ACM has issued the certificate.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the issuance (ACM validates DNS records within minutes once they resolve).
    type: int
    default: 900
attributes:
  check_mode:
    description: Reads and reports what would be requested or written; writes nothing and does not wait.
    support: full
  diff_mode:
    description: The certificate (names, status, tags) before and after.
    support: full
"""

EXAMPLES = r"""
- name: The ingress certificate of the platform cluster, validated in its zone
  krci.platform.aws_acm_certificate:
    name: krci-platform-ingress
    domain_name: "*.platform.example.com"
    subject_alternative_names: [platform.example.com]
    hosted_zone_id: Z0123456789ABC
  register: certificate

- name: Use it on the load balancer (AWS Load Balancer Controller)
  ansible.builtin.debug:
    msg: "alb.ingress.kubernetes.io/certificate-arn: {{ certificate.arn }}"
"""

RETURN = r"""
arn:
  description: The certificate's ARN (none in check mode before it is requested).
  returned: always
  type: str
  sample: arn:aws:acm:eu-central-1:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab
status:
  description: C(ISSUED), C(PENDING_VALIDATION), or C(TO_BE_REQUESTED)/C(TO_BE_IMPORTED) in check mode.
  returned: always
  type: str
domain_name:
  description: The certificate's primary name.
  returned: always
  type: str
subject_alternative_names:
  description: All names of the certificate, sorted.
  returned: always
  type: list
  elements: str
validation_records:
  description: The DNS records ACM validates the names with (C(name), C(type), C(value)).
  returned: always
  type: list
  elements: dict
superseded:
  description: ARNs of certificates of the same O(name) whose names differ or that failed; delete them once unused.
  returned: always
  type: list
  elements: str
calls:
  description: The AWS calls the task made, in order (C(acm ListCertificates), ...).
  returned: always
  type: list
  elements: str
"""

import hashlib
import re
import ssl
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils._aws import DNS_NAME
from ansible_collections.krci.platform.plugins.module_utils._aws_client import AWS_CONNECTION_SPEC, AwsError, run_task

# Route 53's zone ids: upper-case letters and digits, at most 32 (Z0123456789ABC).
ZONE_ID = re.compile(r"^[A-Z0-9]{1,32}$")
LIVE = ("ISSUED", "PENDING_VALIDATION")
# Statuses ListCertificates is asked for: the live ones and those a run replaces.
LISTED = ["PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"]


def _names(domain_name, alternative_names):
    return sorted(set([domain_name] + list(alternative_names)))


def find(aws, name):
    """[{arn, status, domain_name, names, tags, records, failure}] of the certificates tagged Name=name, newest first."""
    found, token = [], None
    while True:
        kwargs = {"CertificateStatuses": LISTED}
        if token:
            kwargs["NextToken"] = token
        page = aws.call("acm", "list_certificates", **kwargs)
        for summary in page.get("CertificateSummaryList") or []:
            arn = summary["CertificateArn"]
            tags = dict((t["Key"], t.get("Value", "")) for t in
                        aws.call("acm", "list_tags_for_certificate", CertificateArn=arn).get("Tags") or [])
            if tags.get("Name") == name:
                found.append(describe(aws, arn, tags))
        token = page.get("NextToken")
        if not token:
            break
    return sorted(found, key=lambda c: c["created"], reverse=True)


def describe(aws, arn, tags=None):
    cert = aws.call("acm", "describe_certificate", CertificateArn=arn)["Certificate"]
    if tags is None:
        tags = dict((t["Key"], t.get("Value", "")) for t in
                    aws.call("acm", "list_tags_for_certificate", CertificateArn=arn).get("Tags") or [])
    records = []
    for option in cert.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if record:
            entry = {"name": record["Name"], "type": record["Type"], "value": record["Value"]}
            if entry not in records:
                records.append(entry)
    return {"arn": arn, "status": cert.get("Status"), "domain_name": cert.get("DomainName"),
            "names": sorted(set([cert.get("DomainName")] + list(cert.get("SubjectAlternativeNames") or []))),
            "tags": tags, "records": records, "failure": cert.get("FailureReason"), "type": cert.get("Type"),
            "created": str(cert.get("CreatedAt") or "")}


def request(aws, name, domain_name, names, tags, superseded=()):
    # The same request within an hour gives back the same certificate (a run retried after a lost answer); one that
    # replaces a failed certificate is another request.
    token = hashlib.sha256(("%s|%s%s" % (name, ",".join(names), "".join("|" + a for a in sorted(superseded))))
                           .encode("utf-8")).hexdigest()[:32]
    kwargs = {"DomainName": domain_name, "ValidationMethod": "DNS", "IdempotencyToken": token,
              "Tags": [{"Key": k, "Value": v} for k, v in sorted(dict(tags, Name=name).items())]}
    others = [n for n in names if n != domain_name]
    if others:
        kwargs["SubjectAlternativeNames"] = names
    return aws.call("acm", "request_certificate", **kwargs)["CertificateArn"]


def await_records(aws, cert, sleep, clock, timeout=120):
    """ACM fills the validation records in seconds after the request; the certificate once every name has one."""
    deadline = clock() + timeout
    while cert["status"] == "PENDING_VALIDATION" and len(cert["records"]) == 0:
        if clock() >= deadline:
            raise AwsError("ACM gave no DNS validation records for %s within %ds; run again" % (cert["arn"], timeout))
        sleep(2)
        cert = describe(aws, cert["arn"], cert["tags"])
    return cert


def write_records(aws, zone, records, check_mode):
    """Upserts the validation records the zone lacks or holds with another value; True when one was (or would be)."""
    changes = []
    for record in records:
        found = aws.call("route53", "list_resource_record_sets", HostedZoneId=zone, StartRecordName=record["name"],
                         StartRecordType=record["type"], MaxItems="1").get("ResourceRecordSets") or []
        same = [r for r in found if r["Name"].rstrip(".") == record["name"].rstrip(".") and r["Type"] == record["type"]
                and [v["Value"] for v in r.get("ResourceRecords") or []] == [record["value"]]]
        if not same:
            changes.append({"Action": "UPSERT", "ResourceRecordSet": {
                "Name": record["name"], "Type": record["type"], "TTL": 300,
                "ResourceRecords": [{"Value": record["value"]}]}})
    if changes and not check_mode:
        aws.call("route53", "change_resource_record_sets", HostedZoneId=zone, ChangeBatch={
            "Comment": "krci.platform: ACM DNS validation", "Changes": changes})
    return bool(changes)


def await_issued(aws, cert, timeout, sleep, clock):
    deadline = clock() + timeout
    delay = 2.0
    while cert["status"] != "ISSUED":
        if cert["status"] not in LIVE:
            raise AwsError("ACM certificate %s is %s (%s); a new one is requested on the next run"
                           % (cert["arn"], cert["status"], cert["failure"] or "no reason given"))
        if clock() >= deadline:
            raise AwsError("ACM certificate %s is still %s after %ds: its DNS validation records (%s) must resolve "
                           "publicly in the names' zone; then run again"
                           % (cert["arn"], cert["status"], timeout,
                              ", ".join("%s CNAME %s" % (r["name"], r["value"]) for r in cert["records"]) or "none yet"))
        sleep(delay)
        delay = min(delay * 2, 30.0)
        cert = describe(aws, cert["arn"], cert["tags"])
    return cert


PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")


def leaf_der(pem):
    """The DER bytes of the first certificate of a PEM text, or None when it holds none."""
    match = PEM_CERT.search(pem or "")
    return ssl.PEM_cert_to_DER_cert(match.group(0)) if match else None


def sync_tags(aws, current, want_tags, check_mode):
    """Tags of ``current`` made ``want_tags`` (others removed); True when one differed."""
    stale = sorted(set(current["tags"]) - set(want_tags))
    fresh = dict((k, v) for k, v in want_tags.items() if current["tags"].get(k) != v)
    if (stale or fresh) and not check_mode:
        if stale:
            aws.call("acm", "remove_tags_from_certificate", CertificateArn=current["arn"],
                     Tags=[{"Key": k, "Value": current["tags"][k]} for k in stale])
        if fresh:
            aws.call("acm", "add_tags_to_certificate", CertificateArn=current["arn"],
                     Tags=[{"Key": k, "Value": v} for k, v in sorted(fresh.items())])
    return bool(stale or fresh)


def converge_import(aws, params, check_mode):
    """(changed, fields, before, after) of an imported certificate."""
    name = params["name"]
    want_tags = dict((str(k), str(v)) for k, v in params["tags"].items())
    want_tags["Name"] = name
    leaf = leaf_der(params["certificate"])
    current = next((c for c in find(aws, name) if c["type"] == "IMPORTED"), None)
    kwargs = {"Certificate": params["certificate"].encode("utf-8"), "PrivateKey": params["private_key"].encode("utf-8")}
    if params["certificate_chain"]:
        kwargs["CertificateChain"] = params["certificate_chain"].encode("utf-8")
    after = {"certificate_sha256": hashlib.sha256(leaf).hexdigest(), "tags": want_tags}
    if current is None:
        if check_mode:
            return True, fields(None, "TO_BE_IMPORTED", None, [], [], []), None, after
        arn = aws.call("acm", "import_certificate", Tags=[{"Key": k, "Value": v} for k, v in sorted(want_tags.items())],
                       **kwargs)["CertificateArn"]
        current = describe(aws, arn)
        return True, fields(arn, current["status"], current["domain_name"], current["names"], [], []), None, after
    held = leaf_der(aws.call("acm", "get_certificate", CertificateArn=current["arn"]).get("Certificate"))
    before = {"certificate_sha256": hashlib.sha256(held or b"").hexdigest(), "tags": current["tags"]}
    changed = held != leaf
    if changed and not check_mode:
        # Into the same ARN: whatever uses the certificate keeps using it (tags cannot be given on a re-import).
        aws.call("acm", "import_certificate", CertificateArn=current["arn"], **kwargs)
        current = describe(aws, current["arn"], current["tags"])
    changed = sync_tags(aws, current, want_tags, check_mode) or changed
    return changed, fields(current["arn"], current["status"], current["domain_name"], current["names"], [], []), \
        before, after


def converge(aws, params, check_mode, sleep=time.sleep, clock=time.monotonic):
    """(changed, fields, before, after)."""
    if params.get("certificate"):
        return converge_import(aws, params, check_mode)
    name, domain_name = params["name"], params["domain_name"]
    names = _names(domain_name, params["subject_alternative_names"])
    want_tags = dict((str(k), str(v)) for k, v in params["tags"].items())
    want_tags["Name"] = name
    found = find(aws, name)
    current = next((c for c in found if c["names"] == names and c["domain_name"] == domain_name
                    and c["status"] in LIVE), None)
    superseded = [c["arn"] for c in found if c is not current]
    before = {"names": current["names"], "status": current["status"], "tags": current["tags"]} if current else None
    changed = False
    if current is None:
        changed = True
        if check_mode:
            after = {"names": names, "status": "TO_BE_REQUESTED", "tags": want_tags}
            return changed, fields(None, "TO_BE_REQUESTED", domain_name, names, [], superseded), before, after
        current = describe(aws, request(aws, name, domain_name, names, want_tags, superseded))
    else:
        changed = sync_tags(aws, current, want_tags, check_mode)
    if current["status"] == "PENDING_VALIDATION" and not check_mode:
        current = await_records(aws, current, sleep, clock)
    if params["hosted_zone_id"] and current["status"] == "PENDING_VALIDATION":
        changed = write_records(aws, params["hosted_zone_id"], current["records"], check_mode) or changed
    if params["wait"] and not check_mode:
        current = await_issued(aws, current, params["wait_timeout"], sleep, clock)
    after = {"names": names, "status": current["status"], "tags": want_tags}
    return changed, fields(current["arn"], current["status"], domain_name, names, current["records"], superseded), \
        before, after


def fields(arn, status, domain_name, names, records, superseded):
    return {"arn": arn, "status": status, "domain_name": domain_name, "subject_alternative_names": names,
            "validation_records": records, "superseded": superseded}


def main(module_class=AnsibleModule):
    spec = dict(AWS_CONNECTION_SPEC)
    spec.update(
        name=dict(type="str", required=True),
        domain_name=dict(type="str"),
        certificate=dict(type="str"),
        private_key=dict(type="str", no_log=True),
        certificate_chain=dict(type="str"),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        hosted_zone_id=dict(type="str"),
        tags=dict(type="dict", default={}),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True, required_one_of=[("domain_name", "certificate")],
                          mutually_exclusive=[("domain_name", "certificate")],
                          required_together=[("certificate", "private_key")])
    params = module.params
    where = "ACM certificate %s" % params["name"]
    if params["certificate"] and leaf_der(params["certificate"]) is None:
        module.fail_json(msg="%s: certificate holds no PEM certificate (give the file's contents, not its path)" % where)
    names = [params["domain_name"]] + params["subject_alternative_names"] if params["domain_name"] else []
    bad = [n for n in names if not DNS_NAME.match(n or "")]
    if bad:
        module.fail_json(msg="%s: %s %s not a DNS name (lower case, a leading '*.' for a wildcard)"
                         % (where, ", ".join(repr(n) for n in bad), "is" if len(bad) == 1 else "are"))
    if params["hosted_zone_id"] and not ZONE_ID.match(params["hosted_zone_id"]):
        module.fail_json(msg="%s: hosted_zone_id %r is not a Route 53 hosted zone id (upper-case letters and digits, "
                             "as Z0123456789ABC; not the zone's name)"
                         % (where, params["hosted_zone_id"]))
    if params["wait_timeout"] < 0:
        module.fail_json(msg="%s: wait_timeout must be 0 or more seconds" % where)

    def task(aws):
        return converge(aws, params, module.check_mode)

    run_task(module, where, task)


if __name__ == "__main__":
    main()
