# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where Vault's unseal keys and admin credential live: a controller file, a Kubernetes Secret, AWS Secrets Manager.

For internal collection use only. Every store keeps one JSON document (keys, root token or the
scoped admin credential that replaced it) and offers exists/read/write/check_writable/describe.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os

from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError

DATA_KEY = "vault-init.json"


class FileKeyStore:
    """Keys and the initial root token as JSON in a file of mode 0600 on the controller."""

    kind = "file"

    def __init__(self, path):
        self.path = os.path.expanduser(path)

    def describe(self):
        return "file %s" % self.path

    def exists(self):
        return os.path.exists(self.path) and os.path.getsize(self.path) > 0

    def check_writable(self):
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise VaultError("key file %s: directory %s does not exist; create it (mode 0700) first" % (self.path, directory))
        if not os.access(directory, os.W_OK):
            raise VaultError("key file %s: directory %s is not writable" % (self.path, directory))

    def write(self, data):
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, self.path)

    def read(self):
        if not self.exists():
            raise VaultError("key file %s does not exist; run vault_init first or give the keys" % self.path)
        mode = os.stat(self.path).st_mode & 0o777
        if mode & 0o077:
            raise VaultError("key file %s has mode %o; it must be readable by its owner only (chmod 600)" % (self.path, mode))
        with open(self.path) as handle:
            return json.load(handle)


class KubernetesSecretKeyStore:
    """A Secret in a namespace of its own, labelled, that only cluster administrators can read."""

    kind = "kubernetes"

    def __init__(self, kubeconfig, context, namespace, name):
        from ansible_collections.krci.platform.plugins.module_utils import _kube  # pylint: disable=import-outside-toplevel

        if not _kube.HAS_DEPS:
            raise VaultError("key_destination type kubernetes needs the urllib3 and PyYAML Python libraries: %s"
                             % _kube.IMPORT_ERROR)
        import os  # pylint: disable=import-outside-toplevel

        kubeconfig = kubeconfig or os.environ.get("K8S_AUTH_KUBECONFIG") or os.environ.get("KUBECONFIG")
        if not kubeconfig:
            raise VaultError("key_destination.kubeconfig is required for type kubernetes (or set K8S_AUTH_KUBECONFIG)")
        self._kube = _kube
        self.namespace = namespace
        self.name = name
        try:
            self.client = _kube.KubeClient(kubeconfig, context)
        except _kube.KubeError as exc:
            raise VaultError("key_destination: %s" % exc)

    def describe(self):
        return "Secret %s/%s on %s" % (self.namespace, self.name, self.client.api_url)

    def _get(self):
        try:
            return self.client.get(self.client.resource("v1", "Secret"), self.name, self.namespace)
        except Exception as exc:  # pylint: disable=broad-except
            raise VaultError("read %s: %s" % (self.describe(), exc))

    def exists(self):
        secret = self._get()
        return bool(secret and (secret.get("data") or {}).get(DATA_KEY))

    def check_writable(self):
        self._get()

    def write(self, data):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": self.namespace, "labels": {"app.kubernetes.io/part-of": "krci-platform",
                                               "pod-security.kubernetes.io/enforce": "restricted"}}}
        secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                  "metadata": {"name": self.name, "namespace": self.namespace,
                               "labels": {"app.kubernetes.io/part-of": "krci-platform"}},
                  "data": {DATA_KEY: base64.b64encode(json.dumps(data).encode()).decode()}}
        try:
            self._kube.apply_all(self.client, [namespace, secret], "krci-platform-vault-keys", True, False,
                                 dump=lambda obj: "")
        except self._kube.KubeError as exc:
            raise VaultError("write %s: %s" % (self.describe(), exc))

    def read(self):
        secret = self._get()
        value = ((secret or {}).get("data") or {}).get(DATA_KEY)
        if not value:
            raise VaultError("%s holds no keys; run vault_init first or give the keys" % self.describe())
        return json.loads(base64.b64decode(value).decode())


class AwsSecretsManagerKeyStore:
    """One AWS Secrets Manager secret (credentials from the usual AWS environment or profile)."""

    kind = "aws_secrets_manager"

    def __init__(self, secret_name, region=None, endpoint_url=None, profile=None, kms_key_id=None):
        try:
            import boto3  # pylint: disable=import-outside-toplevel
            import botocore.exceptions  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            raise VaultError("key_destination type aws_secrets_manager needs boto3: %s" % exc)
        if not secret_name:
            raise VaultError("key_destination.secret_name is required for type aws_secrets_manager")
        self.secret_name = secret_name
        self.kms_key_id = kms_key_id
        self._errors = botocore.exceptions
        session = boto3.session.Session(profile_name=profile) if profile else boto3.session.Session()
        self.client = session.client("secretsmanager", region_name=region, endpoint_url=endpoint_url)

    def describe(self):
        return "AWS Secrets Manager secret %s" % self.secret_name

    def _value(self):
        try:
            return self.client.get_secret_value(SecretId=self.secret_name)["SecretString"]
        except self._errors.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise VaultError("read %s: %s" % (self.describe(), exc))
        except self._errors.BotoCoreError as exc:
            raise VaultError("read %s: %s; check the AWS credentials and region" % (self.describe(), exc))

    def exists(self):
        return bool(self._value())

    def check_writable(self):
        self._value()

    def write(self, data):
        text = json.dumps(data)
        try:
            try:
                self.client.put_secret_value(SecretId=self.secret_name, SecretString=text)
            except self._errors.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                kwargs = {"Name": self.secret_name, "SecretString": text,
                          "Description": "Vault unseal keys and admin credential (krci.platform)"}
                if self.kms_key_id:
                    kwargs["KmsKeyId"] = self.kms_key_id
                self.client.create_secret(**kwargs)
        except (self._errors.ClientError, self._errors.BotoCoreError) as exc:
            raise VaultError("write %s: %s" % (self.describe(), exc))

    def read(self):
        value = self._value()
        if not value:
            raise VaultError("%s holds no keys; run vault_init first or give the keys" % self.describe())
        return json.loads(value)


def key_store(spec):
    """The store a key_destination/key_source dict names (see KEY_STORE_OPTIONS in _vault_args)."""
    kind = spec.get("type") or "file"
    if kind == "file":
        if not spec.get("path"):
            raise VaultError("key_destination.path is required for type file")
        return FileKeyStore(spec["path"])
    if kind == "kubernetes":
        return KubernetesSecretKeyStore(spec.get("kubeconfig"), spec.get("context"),
                                        spec.get("namespace") or "vault-keys", spec.get("name") or "vault-init")
    if kind == "aws_secrets_manager":
        return AwsSecretsManagerKeyStore(spec.get("secret_name"), spec.get("region"), spec.get("endpoint_url"),
                                         spec.get("profile"), spec.get("kms_key_id"))
    raise VaultError("key_destination.type %r is not supported; use file, kubernetes or aws_secrets_manager" % kind)
