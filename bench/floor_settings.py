"""Settings for the intake benchmark: the product settings plus the floor endpoint's URLconf.

Only bench/intake uses this module (DJANGO_SETTINGS_MODULE=bench.floor_settings); the product never does. The
database options are the product's: on PostgreSQL, server-side binding with prepared statements unless
GRIDSAFE_PG_SERVER_SIDE_BINDING=0 (bench/intake --experiment client-side-binding)."""

from gridsafe.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
