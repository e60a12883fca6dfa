# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Matches AWS_CONNECTION_SPEC in plugins/module_utils/_aws_client.py; the names are amazon.aws's, so one
    # module_defaults block (group/krci.platform.aws and group/amazon.aws.aws) serves both.
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - AWS access key id. With O(secret_key) and O(session_token), the temporary credentials of a role the play
        assumed (M(amazon.aws.sts_assume_role)) for the account the cluster lives in.
      - When unset, boto3's chain applies (E(AWS_ACCESS_KEY_ID), which an AWX AWS credential injects, a profile,
        an instance or IRSA role).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description: AWS secret access key.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description: AWS session token of temporary credentials.
    type: str
    aliases: [aws_session_token]
  profile:
    description: A profile of the AWS configuration files, used when O(access_key) is not given.
    type: str
    aliases: [aws_profile]
  region:
    description: The AWS region. IAM is global; the region only picks its endpoint.
    type: str
    aliases: [aws_region]
  endpoint_url:
    description: Another endpoint for every service the module calls (a VPC endpoint, or moto in tests).
    type: str
    aliases: [aws_endpoint_url]
requirements:
  - boto3
  - botocore
"""
