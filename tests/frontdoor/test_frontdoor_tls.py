"""serve --certfile/--keyfile: a client that trusts the certificate works; one that does not
gets a CertificateError, which is not retryable (a person must fix it)."""

from __future__ import annotations

import pytest

from app.protocol.client import CertificateError, FrontDoorClient


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
