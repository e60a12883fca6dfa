"""The OCI registry client's pure parts: what a manifest references, what a copy must carry."""

import json

from ansible_collections.krci.platform.plugins.module_utils import _registry


def digest(char):
    return "sha256:" + char * 64


def test_an_index_references_its_images_and_no_blob():
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"digest": digest("a"), "size": 1}, {"digest": digest("b"), "size": 1}]}).encode()
    assert _registry.manifest_children(index, "application/vnd.oci.image.index.v1+json") == (
        [digest("a"), digest("b")], [])
    # A Docker manifest list is an index too, whatever the Content-Type said.
    assert _registry.manifest_children(index, "")[0] == [digest("a"), digest("b")]


def test_an_image_references_its_config_and_distributable_layers():
    image = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"digest": digest("c")}, "layers": [
                            {"digest": digest("d")},
                            # A non-distributable (foreign) layer lives at its URLs, not in the registry.
                            {"digest": digest("e"), "urls": ["https://example.com/layer"]},
                            {"digest": digest("f")}]}).encode()
    assert _registry.manifest_children(image, "application/vnd.oci.image.manifest.v1+json") == (
        [], [digest("c"), digest("d"), digest("f")])


def test_only_sha256_digests_are_digests():
    assert _registry.DIGEST.match(digest("0"))
    assert not _registry.DIGEST.match("sha256:" + "A" * 64)
    assert not _registry.DIGEST.match("sha512:" + "a" * 128)
