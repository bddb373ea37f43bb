import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded photos and generated bulletins go to a per-test directory, not the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def flow(people):
    from gridsafe.cases.tests.helpers import Flow

    return Flow(people)


class _OneRequestAtATime:
    def __init__(self, app):
        import threading

        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return self.app(environ, start_response)


@pytest.fixture
def screen_server(committed_world, request):
    """The live server's URL. With an in-memory SQLite test database (one connection shared by the server's
    threads) requests are served one at a time, as gridsafe/field/tests/conftest.py does for the PWA."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread, _MediaFilesHandler

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    if not shared:
        yield request.getfixturevalue("live_server").url
        return

    class SerialThread(LiveServerThread):
        def run(self):
            from django.core.handlers.wsgi import WSGIHandler

            for alias, conn in self.connections_override.items():
                connections[alias] = conn
            try:
                handler = _OneRequestAtATime(self.static_handler(_MediaFilesHandler(WSGIHandler())))
                self.httpd = self._create_server(connections_override=self.connections_override)
                self.port = self.httpd.server_address[1]
                self.httpd.set_app(handler)
                self.is_ready.set()
                self.httpd.serve_forever()
            except Exception as exc:  # reported to the test below
                self.error = exc
                self.is_ready.set()

    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = SerialThread("localhost", StaticFilesHandler, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


def session_cookie(user, base_url: str) -> dict:
    """A logged-in session for `user`, as a Playwright cookie for `base_url`."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }
