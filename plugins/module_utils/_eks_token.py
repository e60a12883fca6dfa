# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS kubeconfigs whose token is made when it is used, as ``aws eks get-token`` makes it: a presigned STS
``GetCallerIdentity`` URL bound to the cluster's name (header ``x-k8s-aws-id``), valid for 60 seconds, which EKS
presents to STS to learn the caller's IAM identity. Nothing secret is stored in the kubeconfig.

For internal collection use only. ``kubeconfig()`` writes the kubeconfig the aws role saves per EKS cluster; its
user runs this file as a client-go exec credential plugin (``client.authentication.k8s.io/v1beta1``) with the
controller's Python, from the controller's AWS credentials (assuming the account's automation role first, when the
kubeconfig names one):

    python3 _eks_token.py --cluster krci-platform --region eu-central-1 [--role-arn ARN] [--endpoint-url URL]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import base64
import datetime
import json
import sys

PREFIX = "k8s-aws-v1."
TTL = 60  # seconds the presigned URL is valid (EKS accepts tokens of at most 15 minutes)
EXEC_API = "client.authentication.k8s.io/v1beta1"


def sts_url(region, endpoint_url=None):
    return (endpoint_url or "https://sts.%s.amazonaws.com" % region).rstrip("/") + \
        "/?Action=GetCallerIdentity&Version=2011-06-15"


def token(session, cluster, region, endpoint_url=None):
    """The bearer token of ``cluster`` for ``session``'s identity."""
    from botocore.signers import RequestSigner  # pylint: disable=import-outside-toplevel

    sts = session.client("sts", region_name=region, endpoint_url=endpoint_url)
    signer = RequestSigner(sts.meta.service_model.service_id, region, "sts", "v4", session.get_credentials(),
                           session.events)
    request = {"method": "GET", "url": sts_url(region, endpoint_url), "body": {},
               "headers": {"x-k8s-aws-id": cluster}, "context": {}}
    signed = signer.generate_presigned_url(request, region_name=region, expires_in=TTL, operation_name="")
    return PREFIX + base64.urlsafe_b64encode(signed.encode("utf-8")).decode("ascii").rstrip("=")


def presigned_url(bearer):
    """The URL inside a token (what EKS calls)."""
    if not bearer.startswith(PREFIX):
        raise ValueError("not an EKS token (it starts with %s)" % PREFIX)
    body = bearer[len(PREFIX):]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")


def exec_credential(bearer, now=None):
    """The exec plugin's answer; client-go asks again after ``expirationTimestamp``."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expires = now + datetime.timedelta(seconds=TTL - 10)
    return {"kind": "ExecCredential", "apiVersion": EXEC_API, "spec": {},
            "status": {"expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "token": bearer}}


def kubeconfig(cluster, endpoint, ca_data, region, python, script, role_arn=None, endpoint_url=None, context=None):
    """A kubeconfig of one EKS cluster: its endpoint and CA (``certificateAuthority.data``, base64 PEM) and a user
    whose token this file makes at each use."""
    args = [script, "--cluster", cluster, "--region", region]
    if role_arn:
        args += ["--role-arn", role_arn]
    if endpoint_url:
        args += ["--endpoint-url", endpoint_url]
    name = context or cluster
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": name, "preferences": {},
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "users": [{"name": name, "user": {"exec": {
            "apiVersion": EXEC_API, "command": python, "args": args, "interactiveMode": "Never",
            "provideClusterInfo": False}}}],
    }


def session_for(role_arn=None, region=None, endpoint_url=None, session_name="krci-platform-kubectl"):
    """The controller's session, or the role's when ``role_arn`` is given."""
    import boto3  # pylint: disable=import-outside-toplevel

    session = boto3.session.Session(region_name=region)
    if not role_arn:
        return session
    sts = session.client("sts", region_name=region, endpoint_url=endpoint_url)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=900)["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name=region)


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(description="An EKS token as a client-go exec credential (aws eks get-token).")
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--role-arn")
    parser.add_argument("--endpoint-url")
    args = parser.parse_args(argv)
    session = session_for(args.role_arn, args.region, args.endpoint_url)
    json.dump(exec_credential(token(session, args.cluster, args.region, args.endpoint_url)), out)
    out.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
