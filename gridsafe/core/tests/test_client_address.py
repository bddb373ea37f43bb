"""ClientAddressMiddleware: services far from the request learn its client address, for that request only."""

import pytest
from django.test import RequestFactory

from gridsafe.core.http import current_client_ip
from gridsafe.core.middleware import ClientAddressMiddleware


def test_the_address_is_known_during_the_request_and_forgotten_after(settings):
    settings.GRIDSAFE_PROXY_COUNT = 1
    seen = []

    def view(request):
        seen.append(current_client_ip())
        return "response"

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="127.0.0.1")
    assert ClientAddressMiddleware(view)(request) == "response"
    assert seen == ["203.0.113.7"]
    assert current_client_ip() is None  # the shell, a task worker, the sweep


def test_the_address_is_forgotten_when_the_request_fails(settings):
    settings.GRIDSAFE_PROXY_COUNT = 0

    def view(request):
        assert current_client_ip() == "198.51.100.20"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        ClientAddressMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="198.51.100.20"))
    assert current_client_ip() is None
