"""WORK IN PROGRESS (issue 17): the ArgoCD resource of an instance, checked against the operator's real CRD."""

import json
import os

import jsonschema
import pytest
import yaml

from ansible_collections.krci.platform.plugins.module_utils import _argocd_operator

CRD = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "shared", "testdata", "crds",
                   "argocd-operator", "argoproj.io_argocds.yaml")


def schema():
    with open(CRD) as handle:
        crd = yaml.safe_load(handle)
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
    return version["schema"]["openAPIV3Schema"]


@pytest.mark.skipif(not os.path.exists(CRD), reason="../shared/testdata is not beside the repository")
def test_the_resource_fits_the_operators_schema_and_carries_sso_rbac_and_exclusions():
    resource = _argocd_operator.argocd_resource(
        "argocd", "argocd", "https://argocd-hub.krci.example.com", ["p, role:x, applications, get, dev/*, allow",
                                                                    "g, krci-developers, role:x"],
        "- apiGroups: [cilium.io]\n  kinds: [CiliumIdentity]\n  clusters: ['*']\n",
        issuer="https://sso.krci.example.com/realms/krci", client_id="argocd-hub", secret_name="keycloak-oidc-client",
        ca_pem="-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----")
    jsonschema.validate(resource, schema())
    spec = resource["spec"]
    oidc = json.loads(spec["oidcConfig"])
    assert oidc["clientSecret"] == "$keycloak-oidc-client:clientSecret" and oidc["enablePKCEAuthentication"] is True
    assert spec["rbac"]["defaultPolicy"] == "" and spec["rbac"]["policy"].endswith("role:x\n")
    assert spec["disableAdmin"] is True and spec["server"]["route"]["tls"]["termination"] == "reencrypt"
