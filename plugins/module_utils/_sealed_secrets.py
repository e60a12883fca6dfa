# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sealing values for the Sealed Secrets controller, as ``kubeseal`` does (its pkg/crypto HybridEncrypt).

For internal collection use only. A random AES-256 session key encrypts the value (GCM, zero nonce:
the key is used once); the controller's RSA public key encrypts the session key (OAEP, SHA-256) with
the scope's label: ``<namespace>/<name>`` (strict), ``<namespace>`` (namespace-wide) or empty
(cluster-wide). The sealed value is ``uint16 BE length || RSA ciphertext || AES-GCM ciphertext``, base64.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import struct

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

SCOPES = ("strict", "namespace-wide", "cluster-wide")
SCOPE_ANNOTATIONS = {"namespace-wide": "sealedsecrets.bitnami.com/namespace-wide",
                     "cluster-wide": "sealedsecrets.bitnami.com/cluster-wide"}


class SealingError(Exception):
    """The certificate cannot seal (not a PEM certificate of an RSA key)."""


def load_certificate(pem):
    """(RSA public key, sha256 fingerprint) of the controller's certificate."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode() if not isinstance(pem, bytes) else pem)
    except ValueError as exc:
        raise SealingError("certificate: not a PEM certificate (%s); fetch it with kubeseal --fetch-cert" % exc)
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SealingError("certificate: its key is not RSA; it is not a Sealed Secrets controller's certificate")
    return key, "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


def label(namespace, name, scope):
    if scope == "cluster-wide":
        return b""
    if scope == "namespace-wide":
        return namespace.encode()
    return ("%s/%s" % (namespace, name)).encode()


def seal(public_key, plaintext, seal_label):
    """One sealed value (base64 text) of ``plaintext`` (bytes) for ``public_key`` and ``seal_label``."""
    session = os.urandom(32)
    rsa_ciphertext = public_key.encrypt(session, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                                                              algorithm=hashes.SHA256(), label=seal_label or None))
    sealed = struct.pack(">H", len(rsa_ciphertext)) + rsa_ciphertext + AESGCM(session).encrypt(b"\0" * 12, plaintext, None)
    return base64.b64encode(sealed).decode()


def sealed_secret(pem, name, namespace, data, scope="strict", secret_type="Opaque", labels=None, annotations=None):
    """The SealedSecret object of ``data`` ({key: text}) for the controller whose certificate is ``pem``."""
    if scope not in SCOPES:
        raise SealingError("scope: %r is not one of %s" % (scope, ", ".join(SCOPES)))
    public_key, fingerprint = load_certificate(pem)
    seal_label = label(namespace, name, scope)
    meta_annotations = dict(annotations or {})
    if scope in SCOPE_ANNOTATIONS:
        meta_annotations[SCOPE_ANNOTATIONS[scope]] = "true"
    template_meta = {"name": name, "namespace": namespace}
    if labels:
        template_meta["labels"] = dict(labels)
    if meta_annotations:
        template_meta["annotations"] = dict(meta_annotations)
    outer_annotations = dict(meta_annotations, **{"krci.platform/sealing-certificate": fingerprint})
    return {
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": name, "namespace": namespace, "annotations": outer_annotations},
        "spec": {
            "encryptedData": dict((key, seal(public_key, value.encode() if not isinstance(value, bytes) else value,
                                             seal_label)) for key, value in sorted(data.items())),
            "template": {"metadata": template_meta, "type": secret_type},
        },
    }


def public_key_pem(public_key):  # pragma: no cover - used by tests to compare keys
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
