import pytest

from ansible_collections.krci.platform.plugins.module_utils import _kube


def test_normalize_drops_server_fields_and_status():
    live = {"apiVersion": "v1", "kind": "Namespace", "status": {"phase": "Active"},
            "metadata": {"name": "a", "uid": "1", "resourceVersion": "9", "managedFields": [], "generation": 2,
                         "creationTimestamp": "t", "labels": {"x": "y"},
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}}
    assert _kube.normalize(live) == {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": "a", "labels": {"x": "y"}}}
    assert live["metadata"]["uid"] == "1"  # the input is not modified


def test_secret_values_are_masked_in_diffs():
    secret = {"kind": "Secret", "data": {"password": "c2VjcmV0"}, "stringData": {"token": "abc"}}
    masked = _kube.mask_secrets(secret)
    assert masked["data"] == {"password": "********"} and masked["stringData"] == {"token": "********"}
    assert secret["data"]["password"] == "c2VjcmV0"


@pytest.mark.parametrize("body,message", [
    ({"kind": "Namespace", "metadata": {"name": "a"}}, "definitions[0]: apiVersion is missing"),
    ({"apiVersion": "v1", "metadata": {"name": "a"}}, "definitions[0]: kind is missing"),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}, "definitions[0] (Namespace): metadata.name is missing"),
])
def test_invalid_definitions_fail_before_any_request(body, message):
    with pytest.raises(_kube.KubeError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        _kube.apply_all(client=None, definitions=[body], field_manager="m", force_conflicts=False,
                        check_mode=True, dump=str)


def test_object_ref():
    assert _kube.object_ref({"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "n"}}) == \
        "NetworkPolicy n/p"
    assert _kube.object_ref({"kind": "Namespace", "metadata": {"name": "n"}}) == "Namespace n"
