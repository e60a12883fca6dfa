import ipaddress
import stat

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.pki import CertificateAuthority, service_account_keypair


def test_issued_certificate_chains_to_the_ca_and_carries_sans(tmp_path):
    ca = CertificateAuthority(tmp_path)
    cert_path, key_path = ca.issue("api", "kube-apiserver", dns_names=("localhost",), ip_addresses=("127.0.0.1",),
                                   server=True)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert cert.issuer == ca.cert.subject
    ca.cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ca.key_path.stat().st_mode) == 0o600


def test_client_certificate_has_groups_as_organizations(tmp_path):
    ca = CertificateAuthority(tmp_path)
    cert_path, _ = ca.issue("admin", "someone", organizations=("system:masters",), client=True)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)]
    assert orgs == ["system:masters"]
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ExtendedKeyUsageOID.CLIENT_AUTH in usages
    assert x509.ExtendedKeyUsageOID.SERVER_AUTH not in usages


def test_ca_is_reused_not_regenerated(tmp_path):
    first = CertificateAuthority(tmp_path)
    second = CertificateAuthority(tmp_path)
    assert first.cert.serial_number == second.cert.serial_number


def test_service_account_keypair_private_key_is_0600(tmp_path):
    key, pub = service_account_keypair(tmp_path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
