"""Settings for the intake benchmark: the product settings plus the floor endpoint's URLconf.

Only bench/intake uses this module (DJANGO_SETTINGS_MODULE=bench.floor_settings); the product never does.
BENCH_SERVER_SIDE_BINDING=1 is a what-if experiment (bench/intake --experiment server-side-binding): psycopg
server-side parameter binding and prepared statements instead of Django's default client-side binding. It is not
the product's set-up."""

import os

from gridsafe.settings import *  # noqa: F403
from gridsafe.settings import DATABASES

ROOT_URLCONF = "bench.floor_urls"

if os.environ.get("BENCH_SERVER_SIDE_BINDING") == "1":
    # Server-side parameters, and psycopg's prepared statements from a query's 5th run on a connection, so
    # PostgreSQL parses and plans each of the ORM's statements once per connection instead of once per call.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
