"""Settings for the intake benchmark: the product settings plus the floor endpoint's URLconf.

Only bench/intake uses this module (DJANGO_SETTINGS_MODULE=bench.floor_settings); the product never does."""

from gridsafe.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
