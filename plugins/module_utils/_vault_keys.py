# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where Vault's unseal keys and admin credential live: a controller file, a Kubernetes Secret, AWS Secrets Manager.

For internal collection use only. Two stores, kept apart: the key store holds the key shares (plain or
PGP-encrypted, one per operator); the credential store holds the initial root token and then the
scoped admin AppRole that replaced it. Every store keeps one JSON document and offers
exists/read/write/check_writable/describe/location/readers. ``custody`` says who can read each and
what that means.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import pwd

from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError

DATA_KEY = "vault-init.json"
CREDENTIAL_DATA_KEY = "vault-admin.json"
# Fields of the key document that are credentials, not key shares (kept there by releases before 0.3).
CREDENTIAL_FIELDS = ("root_token", "admin")


class FileKeyStore:
    """Keys and the initial root token as JSON in a file of mode 0600 on the controller."""

    kind = "file"

    def __init__(self, path):
        self.path = os.path.expanduser(path)

    def describe(self):
        return "file %s" % self.path

    def location(self):
        return ("file", os.path.realpath(self.path))

    def readers(self):
        """The controller user that owns the file (mode 0600), or None before it exists."""
        if not os.path.exists(self.path):
            return None
        return ["controller user %s" % pwd.getpwuid(os.stat(self.path).st_uid).pw_name]

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

    def __init__(self, kubeconfig, context, namespace, name, data_key=DATA_KEY):
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
        self.data_key = data_key
        try:
            self.client = _kube.KubeClient(kubeconfig, context)
        except _kube.KubeError as exc:
            raise VaultError("key_destination: %s" % exc)

    def describe(self):
        return "Secret %s/%s on %s" % (self.namespace, self.name, self.client.api_url)

    def location(self):
        return ("kubernetes", self.client.api_url, self.namespace, self.name)

    def readers(self):
        """Every subject the cluster lets get, list or watch the Secret (SubjectAccessReviews)."""
        from ansible_collections.krci.platform.plugins.module_utils import _kube_access  # pylint: disable=import-outside-toplevel

        try:
            subjects = _kube_access.candidates(self.client, self.namespace)  # listed once for the three verbs
            found = set(_kube_access.who_can(self.client, "get", "secrets", self.namespace, self.name,
                                             subjects=subjects))
            for verb in ("list", "watch"):
                found.update(_kube_access.who_can(self.client, verb, "secrets", self.namespace, subjects=subjects))
        except self._kube.KubeError as exc:
            raise VaultError("list who can read %s: %s" % (self.describe(), exc))
        return sorted(found)

    def identity(self):
        """Who this store's kubeconfig is (the automation), as a reader label."""
        from ansible_collections.krci.platform.plugins.module_utils import _kube_access  # pylint: disable=import-outside-toplevel

        try:
            return _kube_access.whoami(self.client)
        except self._kube.KubeError as exc:
            raise VaultError("ask %s who the kubeconfig is: %s" % (self.client.api_url, exc))

    def _get(self):
        try:
            return self.client.get(self.client.resource("v1", "Secret"), self.name, self.namespace)
        except Exception as exc:  # pylint: disable=broad-except
            raise VaultError("read %s: %s" % (self.describe(), exc))

    def exists(self):
        secret = self._get()
        return bool(secret and (secret.get("data") or {}).get(self.data_key))

    def check_writable(self):
        self._get()

    def write(self, data):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": self.namespace, "labels": {"app.kubernetes.io/part-of": "krci-platform",
                                               "pod-security.kubernetes.io/enforce": "restricted"}}}
        secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                  "metadata": {"name": self.name, "namespace": self.namespace,
                               "labels": {"app.kubernetes.io/part-of": "krci-platform"}},
                  "data": {self.data_key: base64.b64encode(json.dumps(data).encode()).decode()}}
        try:
            self._kube.apply_all(self.client, [namespace, secret], "krci-platform-vault-keys", True, False,
                                 dump=lambda obj: "")
        except self._kube.KubeError as exc:
            raise VaultError("write %s: %s" % (self.describe(), exc))

    def read(self):
        secret = self._get()
        data = (secret or {}).get("data") or {}
        # A credential kept with the keys (before 0.3) is read through either name.
        value = data.get(self.data_key) or data.get(DATA_KEY) or data.get(CREDENTIAL_DATA_KEY)
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

    def location(self):
        return ("aws_secrets_manager", self.client.meta.region_name, self.secret_name)

    def readers(self):
        """Not listed: IAM principals allowed secretsmanager:GetSecretValue (and kms:Decrypt) read it."""
        return None

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


def key_store(spec, field="key_destination", data_key=DATA_KEY, namespace="vault-keys", name="vault-init"):
    """The store a key_destination/key_source dict names (see KEY_STORE_OPTIONS in _vault_args)."""
    kind = spec.get("type") or "file"
    if kind == "file":
        if not spec.get("path"):
            raise VaultError("%s.path is required for type file" % field)
        return FileKeyStore(spec["path"])
    if kind == "kubernetes":
        return KubernetesSecretKeyStore(spec.get("kubeconfig"), spec.get("context"), spec.get("namespace") or namespace,
                                        spec.get("name") or name, data_key)
    if kind == "aws_secrets_manager":
        return AwsSecretsManagerKeyStore(spec.get("secret_name"), spec.get("region"), spec.get("endpoint_url"),
                                         spec.get("profile"), spec.get("kms_key_id"))
    raise VaultError("%s.type %r is not supported; use file, kubernetes or aws_secrets_manager" % (field, kind))


def credential_store(spec):
    """The store a credential_destination dict names: apart from the keys (vault-admin/vault-admin-credential)."""
    return key_store(spec, "credential_destination", CREDENTIAL_DATA_KEY, "vault-admin", "vault-admin-credential")


def stores(key_spec, credential_spec):
    """(key store, credential store); the credential store is the key store when none is given (before 0.3)."""
    keys = key_store(key_spec)
    if not credential_spec:
        return keys, keys
    credentials = credential_store(credential_spec)
    if credentials.location() == keys.location():
        raise VaultError("credential_destination is the key destination (%s); the admin credential must be kept "
                         "apart from the key shares: give another Secret, file or secret" % keys.describe())
    return keys, credentials


def separate(keys, credentials, check_mode=False):
    """Move a root token or admin credential out of the key document into the credential store.

    Returns the description of what moved, or None. The credential store is written first, so an
    interrupted move leaves the credential in both places, never in neither."""
    if keys is credentials or not keys.exists():
        return None
    data = keys.read()
    moved = dict((field, data[field]) for field in CREDENTIAL_FIELDS if data.get(field))
    if not moved:
        return None
    if not check_mode:
        current = credentials.read() if credentials.exists() else {}
        for field, value in moved.items():
            current.setdefault(field, None)
            if not current[field]:
                current[field] = value
        credentials.write(current)
        for field in CREDENTIAL_FIELDS:
            data.pop(field, None)
        keys.write(data)
    return "%s from %s to %s" % (" and ".join(sorted(moved)), keys.describe(), credentials.describe())


def _secret_values(data):
    values = []
    for field in ("keys", "keys_base64", "recovery_keys", "recovery_keys_base64"):
        values.extend(data.get(field) or [])
    if data.get("root_token"):
        values.append(data["root_token"])
    if (data.get("admin") or {}).get("secret_id"):
        values.append(data["admin"]["secret_id"])
    return values


def custody(keys, credentials, mask=None):
    """Who can read the key shares and the admin credential, and what to warn about.

    Returns a dict: keys_at, keys_encrypted, keys_readers, credential_at, credential_readers,
    automation, shared_readers, warnings. Readers are None where they cannot be listed (AWS)."""
    data = keys.read() if keys.exists() else {}
    for value in _secret_values(data):
        if mask:
            mask(value)
    encrypted = bool(data.get("pgp_encrypted"))
    automation = keys.identity() if hasattr(keys, "identity") else None
    keys_readers = keys.readers()
    credential_readers = keys_readers if credentials is keys else credentials.readers()
    shared = []
    if keys_readers is not None and credential_readers is not None:
        shared = sorted(set(keys_readers) & set(credential_readers) - set([automation]))
    warnings = []
    if not encrypted:
        if credentials is keys:
            warnings.append("the admin credential is kept with the key shares in %s: whoever reads it owns Vault; "
                            "give vault_credential_destination (and vault_pgp_keys)" % keys.describe())
        elif shared:
            warnings.append("%s can read both the key shares (%s) and the admin credential (%s): whoever holds "
                            "both owns Vault; set vault_pgp_keys (one operator's PGP key per share), keep the "
                            "credential elsewhere (vault_credential_destination), or remove the bindings"
                            % (", ".join(shared), keys.describe(), credentials.describe()))
    return {"keys_at": keys.describe(), "keys_encrypted": encrypted, "keys_readers": keys_readers,
            "credential_at": credentials.describe(), "credential_readers": credential_readers,
            "automation": automation, "shared_readers": shared, "warnings": warnings}
