"""GridSafe settings: the only settings module. Every knob is an environment variable; an empty environment
is a working embedded set-up (SQLite in WAL mode, local media, immediate tasks)."""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from gridsafe.core.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("GRIDSAFE_DATA", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("GRIDSAFE_DEBUG", False)
SECRET_KEY = env_secret("GRIDSAFE_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
ALLOWED_HOSTS = env_list("GRIDSAFE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("GRIDSAFE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "gridsafe.core",
    "gridsafe.accounts",
    "gridsafe.regions",
    "gridsafe.catalog",
    "gridsafe.places",
    "gridsafe.cases",
    "gridsafe.notifications",
    "gridsafe.demo",
    "gridsafe.web",
    "gridsafe.field",
    "gridsafe.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridsafe.urls"
WSGI_APPLICATION = "gridsafe.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# WAL: pages read while a service writes. IMMEDIATE: take the write lock at BEGIN, so a second writer
# waits out busy_timeout instead of failing with "database is locked" halfway through a service.
SQLITE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": DATA_DIR / "gridsafe.sqlite3",
    "OPTIONS": {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    },
    "TEST": {"NAME": env_str("GRIDSAFE_TEST_SQLITE", "") or None},
}
DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("GRIDSAFE_CONN_MAX_AGE", 600))
    if DATABASE_URL
    else SQLITE
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# immediate: run on commit in-process (dev, tests); db: the django-tasks-db worker (`gridsafe worker`).
TASKS_BACKEND = env_str("GRIDSAFE_TASKS_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "db": "django_tasks_db.DatabaseBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASKS_BACKEND],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "gridsafe" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Front-end libraries come from the npm registry at set-up (`npm ci`, package-lock.json), never from the repo.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / path)
    for name, path in {
        "htmx": "htmx.org/dist",
        "leaflet": "leaflet/dist",
        "markercluster": "leaflet.markercluster/dist",
        "leaflet-heat": "leaflet.heat/dist",
        "echarts": "echarts/dist",
    }.items()
    if (NODE_MODULES / path).is_dir()
]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("GRIDSAFE_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "gridsafe.core.storage.DurableFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to a temp file, never whole into RAM
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "/login/"
SESSION_COOKIE_AGE = env_int("GRIDSAFE_SESSION_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout, not absolute: each request extends the session

# --- GridSafe domain configuration (all of it data or environment, never code) ---
GRIDSAFE_COUNTY_CODE = env_str("GRIDSAFE_COUNTY_CODE", "350322")
GRIDSAFE_API_TOKEN_HOURS = env_int("GRIDSAFE_API_TOKEN_HOURS", 12)
GRIDSAFE_REOPEN_DAYS = env_int("GRIDSAFE_REOPEN_DAYS", 30)
GRIDSAFE_MAX_EXTENSIONS = env_int("GRIDSAFE_MAX_EXTENSIONS", 2)
# 工作时: county office hours (Fujian counties commonly 8:00–12:00 and 14:30–17:30).
GRIDSAFE_OFFICE_HOURS = env_list("GRIDSAFE_OFFICE_HOURS", ["08:00-12:00", "14:30-17:30"])
GRIDSAFE_UPLOAD_MAX_BYTES = env_int("GRIDSAFE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
GRIDSAFE_VIDEO_MAX_BYTES = env_int("GRIDSAFE_VIDEO_MAX_BYTES", 100 * 1024 * 1024)
GRIDSAFE_MAX_IMAGE_PIXELS = env_int("GRIDSAFE_MAX_IMAGE_PIXELS", 50_000_000)
GRIDSAFE_LOCATE_BUFFER_M = env_int("GRIDSAFE_LOCATE_BUFFER_M", 50)
GRIDSAFE_SWEEP_BATCH = env_int("GRIDSAFE_SWEEP_BATCH", 200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GRIDSAFE_LOG_LEVEL", "WARNING")},
}
