# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups: the backup plan, the encrypted artifact format, the archive's manifest, checks and retention.

For internal collection use only.

An artifact is encrypted for a recipient's X25519 public key, so the host that writes backups and the
destination that keeps them never hold what decrypts them (the private key is the restore's, kept apart).
Each artifact: ``MAGIC``, a fresh ephemeral public key (32 bytes), then records of a 4-byte big-endian length and
an AES-256-GCM ciphertext of at most ``CHUNK`` bytes of plaintext. The key is HKDF-SHA256 of the X25519 shared
secret (salt: both public keys; info: the format and the artifact's name, so an artifact renamed or swapped into
another archive does not decrypt). The nonce is the record's counter with a last-record flag (the STREAM
construction), so records cannot be reordered, dropped or cut off without the decryption failing.

The archive is a directory (or an S3 prefix) named ``<option>-<UTC time>`` holding the artifacts and
``manifest.json``, written last: the manifest lists each artifact's size and SHA-256 (of the ciphertext, so an
archive is checked without its key), the versions of what was backed up, and the recipient's fingerprint.
An archive without a manifest is incomplete and never restored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import struct

MAGIC = b"KRCIBAK1"
CHUNK = 1 << 20
FORMAT = "krci.platform/backup/v1"
MANIFEST = "manifest.json"
ARCHIVE_NAME = re.compile(r"^(?P<option>shared|separated|isolated)-(?P<time>\d{8}T\d{6}Z)$")
ARTIFACT_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,120}[a-z0-9]$")
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
KEYGEN = ("openssl genpkey -algorithm X25519 -out backup.key && "
          "openssl pkey -in backup.key -pubout -out backup.pub")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]*$")
DESTINATION_TYPES = ("directory", "s3")
PLATFORM_ARTIFACTS = ("keycloak", "vault", "vault_key_store")


class BackupError(Exception):
    """A backup or an archive that cannot be used; the message names the artifact, the cause and the fix."""


class _Crypto:
    """The cryptography primitives the format uses, imported once on first use."""

    def __init__(self):
        try:
            from cryptography.exceptions import InvalidTag  # pylint: disable=import-outside-toplevel
            from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
            from cryptography.hazmat.primitives.asymmetric import x25519  # pylint: disable=import-outside-toplevel
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # pylint: disable=import-outside-toplevel
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # pylint: disable=import-outside-toplevel
        except ImportError as exc:  # pragma: no cover
            raise BackupError("backups need the cryptography library on the controller (requirements.txt): %s" % exc)
        self.hashes, self.serialization, self.x25519 = hashes, serialization, x25519
        self.aesgcm, self.hkdf, self.invalid_tag = AESGCM, HKDF, InvalidTag


_CRYPTO = []


def _crypto():
    if not _CRYPTO:
        _CRYPTO.append(_Crypto())
    return _CRYPTO[0]


def _pem(text):
    return text.encode("utf-8") if not isinstance(text, bytes) else text


def load_recipient(pem, field="recipient"):
    """The X25519 public key of ``pem``; BackupError naming ``field`` otherwise (a private key is refused)."""
    crypto = _crypto()
    text = _pem(pem or "")
    if b"PRIVATE KEY" in text:
        raise BackupError("%s is a private key; give its public half (openssl pkey -in backup.key -pubout) and keep the "
                          "private key away from the hosts that write backups and from their destination" % field)
    try:
        key = crypto.serialization.load_pem_public_key(text)
    except (ValueError, TypeError) as exc:
        raise BackupError("%s is not a PEM public key (%s); make a key pair: %s" % (field, exc, KEYGEN))
    if not isinstance(key, crypto.x25519.X25519PublicKey):
        raise BackupError("%s is a %s public key, not X25519; make a key pair: %s" % (field, type(key).__name__, KEYGEN))
    return key


def load_identity(pem, field="identity"):
    """The X25519 private key of ``pem`` (the restore's); BackupError naming ``field`` otherwise."""
    crypto = _crypto()
    try:
        key = crypto.serialization.load_pem_private_key(_pem(pem or ""), password=None)
    except (ValueError, TypeError) as exc:
        raise BackupError("%s is not an unencrypted PEM private key (%s); give the key the backups were made for"
                          % (field, exc))
    if not isinstance(key, crypto.x25519.X25519PrivateKey):
        raise BackupError("%s is a %s private key, not X25519" % (field, type(key).__name__))
    return key


def _raw(public_key):
    serialization = _crypto().serialization
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_key):
    """A short name of a recipient key: the manifest records it, a restore compares its identity's."""
    return "x25519:" + hashlib.sha256(_raw(public_key)).hexdigest()[:32]


def _derive(shared, ephemeral, recipient, name):
    crypto = _crypto()
    info = ("%s artifact %s" % (FORMAT, name)).encode("utf-8")
    return crypto.hkdf(algorithm=crypto.hashes.SHA256(), length=32, salt=ephemeral + recipient, info=info).derive(shared)


def _nonce(counter, last):
    return struct.pack(">Q", counter).rjust(11, b"\0") + (b"\1" if last else b"\0")


class ArtifactWriter:
    """Writes one encrypted artifact; ``close()`` returns its name, size and SHA-256 (of what was written).

    The file is written as ``<path>.part`` and renamed when complete, so a failed export leaves no artifact."""

    def __init__(self, path, recipient, name):
        crypto = _crypto()
        if not ARTIFACT_NAME.match(name):
            raise BackupError("artifact name %r: lowercase letters, digits, '.' and '-'" % name)
        self.path, self.name = path, name
        ephemeral = crypto.x25519.X25519PrivateKey.generate()
        public = _raw(ephemeral.public_key())
        self._aead = crypto.aesgcm(_derive(ephemeral.exchange(recipient), public, _raw(recipient), name))
        self._aad = name.encode("utf-8")
        self._buffer = b""
        self._counter = 0
        self._plain = 0
        self._hash = hashlib.sha256()
        self._size = 0
        self._file = open(path + ".part", "wb")
        os.chmod(path + ".part", 0o600)
        self._emit(MAGIC + public)

    def _emit(self, data):
        self._file.write(data)
        self._hash.update(data)
        self._size += len(data)

    def _seal(self, plain, last):
        sealed = self._aead.encrypt(_nonce(self._counter, last), plain, self._aad)
        self._counter += 1
        self._emit(struct.pack(">I", len(sealed)) + sealed)

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._plain += len(data)
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._seal(self._buffer[:CHUNK], False)
            self._buffer = self._buffer[CHUNK:]

    def close(self):
        self._seal(self._buffer, True)
        self._buffer = b""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.rename(self.path + ".part", self.path)
        return {"name": self.name, "file": os.path.basename(self.path), "size": self._size,
                "sha256": self._hash.hexdigest(), "plaintext_size": self._plain}

    def abort(self):
        self._file.close()
        if os.path.exists(self.path + ".part"):
            os.remove(self.path + ".part")

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            self.abort()


def write_artifact(path, recipient_pem, name, chunks):
    """Encrypt the byte strings of ``chunks`` into ``path`` for ``recipient_pem``; the artifact's record."""
    writer = ArtifactWriter(path, load_recipient(recipient_pem), name)
    with writer:
        for chunk in chunks:
            writer.write(chunk)
        return writer.close()


def read_artifact(path, identity, name):
    """The plaintext of an artifact, chunk by chunk; BackupError when it was altered, cut off or is not for
    ``identity`` (an X25519 private key)."""
    crypto = _crypto()
    with open(path, "rb") as handle:
        head = handle.read(len(MAGIC) + 32)
        if len(head) != len(MAGIC) + 32 or not head.startswith(MAGIC):
            raise BackupError("%s is not a krci.platform backup artifact (no %s header)" % (path, MAGIC.decode()))
        public = head[len(MAGIC):]
        aead = crypto.aesgcm(_derive(identity.exchange(crypto.x25519.X25519PublicKey.from_public_bytes(public)), public,
                                     _raw(identity.public_key()), name))
        counter = 0
        while True:
            size = handle.read(4)
            if len(size) != 4:
                raise BackupError("%s ends before its last record: the artifact was cut off" % path)
            sealed = handle.read(struct.unpack(">I", size)[0])
            last = None
            for flag in (False, True):
                try:
                    plain = aead.decrypt(_nonce(counter, flag), sealed, name.encode("utf-8"))
                    last = flag
                    break
                except crypto.invalid_tag:
                    continue
            if last is None:
                raise BackupError("%s does not decrypt as artifact %s with the given identity: it was altered, renamed, "
                                  "or made for another key" % (path, name))
            counter += 1
            yield plain
            if last:
                if handle.read(1):
                    raise BackupError("%s has data after its last record: it was altered" % path)
                return


def read_all(path, identity, name):
    return b"".join(read_artifact(path, identity, name))


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_name(option, now):
    return "%s-%s" % (option, now.strftime(TIME_FORMAT))


def archive_time(name):
    match = ARCHIVE_NAME.match(name)
    if not match:
        return None
    return datetime.datetime.strptime(match.group("time"), TIME_FORMAT).replace(tzinfo=_utc())


def _utc():
    return datetime.timezone.utc


def manifest(name, option, created, artifacts, versions, recipient_fingerprint, seconds):
    """The archive's manifest (sorted, deterministic for the same input)."""
    return {"format": FORMAT, "archive": name, "option": option, "created": created,
            "recipient": recipient_fingerprint, "versions": versions,
            "artifacts": sorted(artifacts, key=lambda a: a["name"]), "seconds": seconds}


def check_manifest(document, option=None, recipient_fingerprint=None):
    """Problems of a manifest read back (foreign format, another option, another key), [] when it fits."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return ["the manifest is not a %s manifest (format %r)" % (FORMAT, (document or {}).get("format")
                                                                   if isinstance(document, dict) else None)]
    errors = []
    if option and document.get("option") != option:
        errors.append("the archive is of the %s option, not %s" % (document.get("option"), option))
    if recipient_fingerprint and document.get("recipient") != recipient_fingerprint:
        errors.append("the archive was encrypted for %s, and the identity given is %s"
                      % (document.get("recipient"), recipient_fingerprint))
    for artifact in document.get("artifacts") or []:
        if not ARTIFACT_NAME.match(str(artifact.get("name", ""))) or artifact.get("file") != artifact["name"] + ".enc":
            errors.append("artifact entry %r is not one this collection writes" % artifact.get("name"))
    return errors


def check_files(document, sizes_and_digests):
    """Artifacts of ``document`` missing or changed, given {file: (size, sha256)} of what the archive holds."""
    errors = []
    for artifact in document.get("artifacts") or []:
        found = sizes_and_digests.get(artifact.get("file"))
        if found is None:
            errors.append("%s is missing" % artifact.get("file"))
        elif found != (artifact.get("size"), artifact.get("sha256")):
            errors.append("%s does not match its checksum (%s bytes, sha256 %s; the manifest says %s bytes, sha256 %s)"
                          % (artifact["file"], found[0], found[1], artifact.get("size"), artifact.get("sha256")))
    return errors


def expired(names, keep, max_age_days, now, current):
    """The complete archives to delete: beyond the newest ``keep`` (0: no count limit) or older than
    ``max_age_days`` (0: no age limit); ``current`` (the archive just written) is never one of them."""
    dated = sorted(((archive_time(n), n) for n in names if archive_time(n) is not None and n != current), reverse=True)
    kept_slots = keep - 1 if keep else None  # the current archive takes one
    out = []
    for index, (when, name) in enumerate(dated):
        too_many = kept_slots is not None and index >= kept_slots
        too_old = bool(max_age_days) and (now - when) > datetime.timedelta(days=max_age_days)
        if too_many or too_old:
            out.append(name)
    return sorted(out)


def check_destination(index, dest):
    field = "backup_destinations[%d]" % index
    if not isinstance(dest, dict):
        return ["%s: a mapping with type directory or s3, got %r" % (field, dest)]
    kind = dest.get("type")
    if kind not in DESTINATION_TYPES:
        return ["%s.type: %r; one of %s" % (field, kind, ", ".join(DESTINATION_TYPES))]
    allowed = {"directory": {"type", "path"},
               "s3": {"type", "bucket", "prefix", "region", "endpoint_url", "profile"}}[kind]
    errors = ["%s.%s: not an option of a %s destination (%s)" % (field, key, kind, ", ".join(sorted(allowed)))
              for key in sorted(set(dest) - allowed)]
    if kind == "directory":
        path = dest.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            errors.append("%s.path: an absolute directory on the controller, got %r" % (field, path))
    else:
        bucket = dest.get("bucket")
        if not isinstance(bucket, str) or not S3_BUCKET.match(bucket) or ".." in bucket:
            errors.append("%s.bucket: %r is not an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"
                          % (field, bucket))
        prefix = dest.get("prefix", "") or ""
        if not isinstance(prefix, str) or not S3_PREFIX.match(prefix) or prefix.startswith("/") or "//" in prefix:
            errors.append("%s.prefix: %r is not a key prefix (letters, digits, !_.*'()/-, no leading '/')"
                          % (field, prefix))
    return errors


def normalise_destination(dest):
    """A destination with every option present (S3 prefix without a trailing '/')."""
    if dest["type"] == "directory":
        return {"type": "directory", "path": os.path.normpath(dest["path"])}
    return {"type": "s3", "bucket": dest["bucket"], "prefix": (dest.get("prefix") or "").strip("/"),
            "region": dest.get("region"), "endpoint_url": dest.get("endpoint_url"), "profile": dest.get("profile")}


def plan(platform_plan, option, settings):
    """What one backup run does, from the platform plan (``_platform.plan``) and the backup role's settings.

    ``settings``: ``destinations`` (list), ``recipient`` (PEM text), ``retention`` ({count, days}),
    ``artifacts`` (a subset of keycloak, vault, vault_key_store, sealed_secrets). Returns ``errors`` (each naming
    the variable), ``destinations`` (normalised), ``retention``, ``recipient`` (its fingerprint), ``platform`` (the
    platform cluster's artifacts), and ``clusters``: per cluster, the Sealed Secrets key artifact of each push
    cluster where the plan runs the controller. A pull cluster is never in it: its keys do not leave it.
    """
    errors = list(platform_plan.get("errors") or [])
    destinations = settings.get("destinations") or []
    if not isinstance(destinations, list) or not destinations:
        errors.append("backup_destinations: at least one destination (type directory with path, or type s3 with bucket)")
        destinations = []
    for index, dest in enumerate(destinations):
        errors.extend(check_destination(index, dest))
    retention = settings.get("retention") or {}
    count, days = retention.get("count", 7), retention.get("days", 0)
    for key, value in (("count", count), ("days", days)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.append("backup_retention.%s: a whole number >= 0 (0: no limit), got %r" % (key, value))
    unknown = sorted(set(retention) - {"count", "days"})
    if unknown:
        errors.append("backup_retention: %s not count or days" % ", ".join(unknown))
    wanted = settings.get("artifacts")
    known = PLATFORM_ARTIFACTS + ("sealed_secrets",)
    if wanted is None:
        wanted = list(known)
    if not isinstance(wanted, list) or not wanted or any(a not in known for a in wanted):
        errors.append("backup_artifacts: a non-empty list of %s, got %r" % (", ".join(known), wanted))
        wanted = []
    recipient = None
    try:
        recipient = fingerprint(load_recipient(settings.get("recipient"), "backup_recipient"))
    except BackupError as exc:
        errors.append(str(exc))
    if option not in ("shared", "separated", "isolated"):
        errors.append("krci_option: %r is not shared, separated or isolated" % option)
    hub = platform_plan.get("hub_cluster")
    clusters = {}
    pull = set(platform_plan.get("pull_clusters") or [])
    for name, entry in sorted((platform_plan.get("clusters") or {}).items()):
        items = []
        if "sealed_secrets" in wanted and entry.get("sealed_secrets") and name not in pull:
            items.append({"name": "sealed-secrets-keys-%s" % name, "kind": "sealed_secrets_keys"})
        clusters[name] = items
    platform = [{"name": {"keycloak": "keycloak-realm", "vault": "openbao-raft-snapshot",
                          "vault_key_store": "openbao-key-store-metadata"}[a], "kind": a}
                for a in PLATFORM_ARTIFACTS if a in wanted]
    return {"errors": errors, "option": option, "hub_cluster": hub, "recipient": recipient,
            "destinations": [normalise_destination(d) for d in destinations] if not errors else [],
            "retention": {"count": count, "days": days}, "platform": platform, "clusters": clusters}


def _numbers(version):
    match = re.match(r"^v?(\d+)\.(\d+)", str(version or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def version_fits(what, archived, running):
    """None when a server at ``running`` can take what was backed up at ``archived``, else why not.

    A server older (major.minor) than the one backed up is refused: it may not read what the newer one wrote.
    Unknown versions on either side are refused too, since nothing can be said about them."""
    if _numbers(archived) is None or _numbers(running) is None:
        return "%s: the archive's version %r or the server's %r is not a version; nothing was restored" % (
            what, archived, running)
    if _numbers(running) < _numbers(archived):
        return ("%s %s is older than the %s the archive was made with; upgrade it to %s or later first, nothing was "
                "restored" % (what, running, archived, ".".join(str(n) for n in _numbers(archived))))
    return None


# What restore.yml installs before it restores, for the artifacts an archive holds: the collection's own OpenBao and
# Keycloak, each checked against the version the archive names (manifest "versions").
RESTORE_INSTALLS = (("vault", "OpenBao", "openbao", "openbao-raft-snapshot"),
                    ("keycloak", "Keycloak", "keycloak", "keycloak-realm"))


def restore_installs(versions, settings):
    """{components, summary, errors}: which of OpenBao and Keycloak restore.yml installs first (those the collection
    installs, ``<component>_install``, whose artifact ``artifacts`` holds), at ``<component>_version``; a release
    older (major.minor) than the archive's is refused before anything is written."""
    components, errors, text = [], [], []
    for component, what, key, artifact in RESTORE_INSTALLS:
        if not settings.get(component + "_install") or artifact not in (settings.get("artifacts") or ()):
            continue
        release = settings.get(component + "_version")
        problem = version_fits("%s (%s_version)" % (what, component), (versions or {}).get(key), release)
        if problem:
            errors.append(problem)
            continue
        components.append(component)
        text.append("%s %s (the archive was made with %s)" % (what, release, (versions or {}).get(key)))
    return {"components": components, "errors": errors,
            "summary": ("installs first: " + ", ".join(text)) if text else "installs nothing first"}


def collection_version(root):
    """The collection's version: MANIFEST.json of an installed collection, else galaxy.yml of a checkout."""
    manifest_path = os.path.join(root, "MANIFEST.json")
    if os.path.isfile(manifest_path):
        with open(manifest_path) as handle:
            return json.load(handle)["collection_info"]["version"]
    with open(os.path.join(root, "galaxy.yml")) as handle:
        for line in handle:
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    return None


def dumps(document):
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
