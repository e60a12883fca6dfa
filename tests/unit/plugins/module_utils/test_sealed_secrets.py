# -*- coding: utf-8 -*-
"""Sealing as kubeseal does: decrypted here with the private key by the controller's algorithm."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import struct

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from ansible_collections.krci.platform.plugins.module_utils import _sealed_secrets


@pytest.fixture(scope="module")
def key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def unseal(key, value, label):
    """The controller's HybridDecrypt."""
    raw = base64.b64decode(value)
    size = struct.unpack(">H", raw[:2])[0]
    session = key.decrypt(raw[2:2 + size], padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                        label=label or None))
    return AESGCM(session).decrypt(b"\0" * 12, raw[2 + size:], None)


def test_strict_scope_binds_name_and_namespace(key_and_cert):
    key, pem = key_and_cert
    obj = _sealed_secrets.sealed_secret(pem, "db", "krci-dev", {"password": "s3cret"})
    value = obj["spec"]["encryptedData"]["password"]
    assert "s3cret" not in str(obj)
    assert unseal(key, value, b"krci-dev/db") == b"s3cret"
    with pytest.raises(ValueError):
        unseal(key, value, b"krci-test/db")
    assert obj["spec"]["template"]["metadata"] == {"name": "db", "namespace": "krci-dev"}
    assert obj["metadata"]["annotations"]["krci.platform/sealing-certificate"].startswith("sha256:")
    # Every seal is new (a random session key).
    assert _sealed_secrets.sealed_secret(pem, "db", "krci-dev", {"password": "s3cret"})["spec"]["encryptedData"] != \
        obj["spec"]["encryptedData"]


@pytest.mark.parametrize("scope,label,annotation", [
    ("namespace-wide", b"krci-dev", "sealedsecrets.bitnami.com/namespace-wide"),
    ("cluster-wide", b"", "sealedsecrets.bitnami.com/cluster-wide")])
def test_wider_scopes(key_and_cert, scope, label, annotation):
    key, pem = key_and_cert
    obj = _sealed_secrets.sealed_secret(pem, "db", "krci-dev", {"k": "v"}, scope=scope)
    assert unseal(key, obj["spec"]["encryptedData"]["k"], label) == b"v"
    assert obj["metadata"]["annotations"][annotation] == "true"
    assert obj["spec"]["template"]["metadata"]["annotations"][annotation] == "true"


def test_not_a_certificate():
    with pytest.raises(_sealed_secrets.SealingError, match="not a PEM certificate"):
        _sealed_secrets.sealed_secret("nope", "db", "krci-dev", {"k": "v"})
