"""serve --certfile/--keyfile: a client that trusts the certificate works; one that does not
gets a CertificateError, which is not retryable (a person must fix it)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.protocol.client import CertificateError, FrontDoorClient


@pytest.fixture()
def certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def test_tls(fresh_la_service, certificate) -> None:
    service = fresh_la_service
    service.tls = certificate
    service.start()
    assert service.url.startswith("https://")
    school, _ = service.enrolled_device()  # its enrolment request went over TLS
    trusting = FrontDoorClient(service.url, school.signing, school.fingerprint,
                               verify=str(certificate[0]))
    assert trusting.check_service(service.info.fingerprint).mode == "la"
    assert trusting.inbox() == []
    doubtful = FrontDoorClient(service.url, school.signing, school.fingerprint)
    with pytest.raises(CertificateError) as error:
        doubtful.service_key()
    assert not error.value.retryable
