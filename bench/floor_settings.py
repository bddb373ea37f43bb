"""Settings for the intake benchmark: the product settings plus the floor endpoint's URLconf.

Only bench/intake uses this module (DJANGO_SETTINGS_MODULE=bench.floor_settings); the product never does.
BENCH_SERVER_SIDE_BINDING=1 is a what-if experiment (bench/intake --experiment server-side-binding): psycopg
server-side parameter binding instead of Django's default client-side binding. It is not the product's set-up."""

import os

from gridsafe.settings import *  # noqa: F403
from gridsafe.settings import DATABASES

ROOT_URLCONF = "bench.floor_urls"

if os.environ.get("BENCH_SERVER_SIDE_BINDING") == "1":
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
