# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one AWS client: a boto3 session from the task's credentials, and calls with retries.

For internal collection use only. The connection options have amazon.aws's names (access_key, secret_key,
session_token, profile, region, endpoint_url), so one ``module_defaults`` block serves both collections' modules.
Each call retries throttling, 409-like conflicts, 5xx and connection errors with backoff; any other error becomes
an ``AwsError`` naming the service, the call, AWS's code and message, and the fix where one is known.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._retry import call_with_retry, RetryExhausted

AWS_CONNECTION_SPEC = dict(
    access_key=dict(type="str", aliases=["aws_access_key_id", "aws_access_key"], no_log=True),
    secret_key=dict(type="str", aliases=["aws_secret_access_key", "aws_secret_key"], no_log=True),
    session_token=dict(type="str", aliases=["aws_session_token"], no_log=True),
    profile=dict(type="str", aliases=["aws_profile"]),
    region=dict(type="str", aliases=["aws_region"]),
    endpoint_url=dict(type="str", aliases=["aws_endpoint_url"]),
)
THROTTLING = frozenset(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
                        "ConcurrentModification", "ConcurrentModificationException", "ServiceUnavailable",
                        "InternalFailure", "InternalError", "ServiceFailure"])
# 409s that are a verdict, not a race: a retry would get the same answer.
ALREADY = frozenset(["EntityAlreadyExists", "ResourceInUseException", "ResourceExistsException",
                     "RepositoryAlreadyExistsException", "ParameterAlreadyExists"])
# What a code most often means for the automation role, in words an operator can act on.
HINTS = {
    "AccessDenied": "the automation role lacks this permission; docs/aws.md lists the ones the run needs",
    "AccessDeniedException": "the automation role lacks this permission; docs/aws.md lists the ones the run needs",
    "UnrecognizedClientException": "the credentials are not valid in this account or region",
    "InvalidClientTokenId": "the credentials are not valid in this account or region",
    "ExpiredToken": "the assumed role's session expired; run again (AWX refreshes the credential per job)",
    "ExpiredTokenException": "the assumed role's session expired; run again (AWX refreshes the credential per job)",
}


class AwsError(Exception):
    """An AWS call that failed for good; the message names the service, the call and the cause."""

    def __init__(self, message, code=None):
        super(AwsError, self).__init__(message)
        self.code = code


def connection_params(params):
    return dict((k, params.get(k)) for k in AWS_CONNECTION_SPEC)


class AwsClient:
    """boto3 clients of one session (the task's credentials), and ``call`` with the collection's retry policy."""

    def __init__(self, access_key=None, secret_key=None, session_token=None, profile=None, region=None,
                 endpoint_url=None, on_retry=None, sleep=None):
        try:
            import boto3  # pylint: disable=import-outside-toplevel
            import botocore.config  # pylint: disable=import-outside-toplevel
            import botocore.exceptions  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            raise AwsError("the AWS modules need boto3 and botocore on the controller (requirements.txt): %s" % exc)
        self._exceptions = botocore.exceptions
        # The endpoint could not be reached, or the connection broke before an answer (ConnectionClosedError,
        # ReadTimeoutError: HTTPClientError).
        self._connection_errors = (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError,
                                   botocore.exceptions.HTTPClientError)
        # One retry policy: ``call``'s (429, 5xx, throttling and connection errors, with backoff and a deadline), not
        # botocore's on top of it (which would multiply the attempts and the wait before an outage is named).
        self._config = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})
        try:
            if profile and not access_key:
                self.session = boto3.session.Session(profile_name=profile, region_name=region)
            else:
                self.session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                                     aws_session_token=session_token, region_name=region)
        except botocore.exceptions.ProfileNotFound as exc:
            raise AwsError("profile: %s; name a profile of ~/.aws/config, or give access_key and secret_key" % exc)
        self.region = region
        self.endpoint_url = endpoint_url
        self._clients = {}
        self._on_retry = on_retry
        self._sleep = sleep
        self.calls = []

    def client(self, service):
        if service not in self._clients:
            # IAM and STS are global; the region only picks the endpoint.
            self._clients[service] = self.session.client(service, region_name=self.region or "us-east-1",
                                                         endpoint_url=self.endpoint_url, config=self._config)
        return self._clients[service]

    def call(self, service, operation, **kwargs):
        """``client(service).<operation>(**kwargs)`` with retries; AwsError naming the call when it fails."""
        what = "%s %s" % (service, operation)
        method = getattr(self.client(service), operation)
        self.calls.append(what)
        try:
            return call_with_retry(what, lambda: method(**kwargs), self._status_of, self._is_connection_error,
                                   on_retry=self._on_retry, sleep=self._sleep)
        except RetryExhausted as exc:
            raise AwsError("%s: %s" % (what, exc.last))
        except self._exceptions.NoCredentialsError:
            raise AwsError("%s: no AWS credentials; give access_key and secret_key (AWX: an AWS credential), "
                           "profile, or run where an instance role provides them" % what)
        except self._exceptions.ClientError as exc:
            code = error_code(exc)
            message = exc.response.get("Error", {}).get("Message", "")
            hint = HINTS.get(code)
            raise AwsError("%s failed: %s: %s%s" % (what, code, message, "; " + hint if hint else ""), code)
        except self._connection_errors as exc:
            raise AwsError("%s: cannot reach the %s endpoint (%s); check endpoint_url, the region and the network"
                           % (what, service, exc))

    def read_or_none(self, service, operation, **kwargs):
        """``call`` of a read; None when the object does not exist (``is_not_found``)."""
        try:
            return self.call(service, operation, **kwargs)
        except AwsError as exc:
            if is_not_found(exc):
                return None
            raise

    def _status_of(self, exc):
        if isinstance(exc, self._exceptions.ClientError):
            if error_code(exc) in THROTTLING:
                return 429
            if error_code(exc) in ALREADY:
                return None
            return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return None

    def _is_connection_error(self, exc):
        return isinstance(exc, self._connection_errors)


def error_code(exc):
    return (getattr(exc, "response", None) or {}).get("Error", {}).get("Code", "")


def is_not_found(exc):
    """True for an AwsError (or botocore ClientError) that says the object does not exist."""
    code = getattr(exc, "code", None) or error_code(exc)
    return code in ("NoSuchEntity", "NoSuchEntityException", "ResourceNotFoundException", "NotFoundException",
                    "ParameterNotFound", "RepositoryNotFoundException")


def run_task(module, where, converge):
    """One AWS module's task: ``converge(aws)`` with a client of the task's credentials, then its exit.

    ``converge`` returns (changed, result fields, before, after); the task exits with those fields, the calls it made
    and, with --diff, before and after. An AwsError fails the task naming ``where`` (the object) and the calls made.
    """
    aws = None
    try:
        aws = AwsClient(**connection_params(module.params))
        changed, fields, before, after = converge(aws)
    except AwsError as exc:
        module.fail_json(msg="%s: %s" % (where, exc), calls=aws.calls if aws else [])
    result = dict(fields, changed=changed, calls=aws.calls)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)
