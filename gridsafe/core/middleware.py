"""Project middleware that belongs to no single app."""

from gridsafe.core.http import _client_ip, client_ip


class ClientAddressMiddleware:
    """Makes the client's address (`core.http.client_ip`) available to services as `current_client_ip()` for the
    duration of the request, so the case timeline and refusal audit rows record where an action came from without
    every view passing it down. Reset afterwards: a worker thread serving the next request starts clean."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
