"""Local sandbox for krci.platform: real Kubernetes control planes, Keycloak and OpenBao on loopback.

Used by the README's ``make demo``, the integration tests, molecule scenarios and benchmarks.
Nothing here is shipped inside the collection artifact.
"""
