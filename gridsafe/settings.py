"""GridSafe settings: the only settings module. Every knob is an environment variable; an empty environment
is a working embedded set-up (SQLite in WAL mode, local media, immediate tasks)."""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
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
    "csp",
    "ninja",  # /api/v1/docs: Swagger UI from ninja's own static files, not a CDN (which the CSP blocks)
    "captcha",  # django-simple-captcha: the CAPTCHA after repeated login failures (accounts/lockout.py)
    "gridsafe.core",
    "gridsafe.accounts",
    "gridsafe.regions",
    "gridsafe.catalog",
    "gridsafe.places",
    "gridsafe.cases",
    "gridsafe.notifications",
    "gridsafe.messaging",
    "gridsafe.video",
    "gridsafe.channels",
    "gridsafe.hazards",
    "gridsafe.demo",
    "gridsafe.web",
    "gridsafe.field",
    "gridsafe.dashboards",
    "gridsafe.ops",  # operations commands (worker, check_deploy, backup, audit …): the top layer, no models
]

MIDDLEWARE = [
    "gridsafe.core.middleware.ClientAddressMiddleware",  # current_client_ip() for services (audit, timeline)
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # SessionMiddleware with an idle limit that background polls do not reset (X-GridSafe-Poll).
    "gridsafe.core.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridsafe.core.middleware.NoStoreMiddleware",  # Cache-Control: no-store for every signed-in answer
    # The big screen's display session (dashboards.DisplaySession): the screen page and its feeds only.
    "gridsafe.dashboards.display.DisplaySessionMiddleware",
    "gridsafe.core.middleware.PollSignedOutMiddleware",  # a poll after the session ended: 401 / HX-Redirect
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signed-in pages: second factor for enrolled privileged users, then a forced change of an expired password.
    "gridsafe.accounts.middleware.AccountSecurityMiddleware",
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
                "csp.context_processors.nonce",
                "gridsafe.core.context_processors.session_idle",
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
if (
    DATABASE_URL
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and env_bool("GRIDSAFE_PG_SERVER_SIDE_BINDING", True)
):
    # Server-side parameters with prepared statements (psycopg prepares a query after 5 runs on a connection):
    # PostgreSQL then skips parsing and planning the hot statements, and psycopg no longer quotes every value
    # into the text — bench/intake: 20 % more reports per second. Set GRIDSAFE_PG_SERVER_SIDE_BINDING=0 behind
    # PgBouncer in transaction mode before 1.21 (it cannot keep prepared statements).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# immediate: run on commit in-process (dev, tests); db: the django-tasks-db worker (`gridsafe worker`);
# rq: Redis queues (REDIS_URL) worked by `gridsafe worker`, which starts rqworker with django_tasks_rq.Job.
TASKS_BACKEND = env_str("GRIDSAFE_TASKS_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "db": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASKS_BACKEND],
    }
}
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("GRIDSAFE_TASKS_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS["default"]["QUEUES"] = ["default"]
    RQ_QUEUES = {"default": {"URL": env_str("GRIDSAFE_RQ_URL", REDIS_URL), "DEFAULT_TIMEOUT": 300}}

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
        "hls": "hls.js/dist",  # the camera page's live view (video app)
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
# Production media on S3-compatible object storage (MinIO, OSS/COS S3 endpoints) when a bucket is named.
GRIDSAFE_S3_BUCKET = env_str("GRIDSAFE_S3_BUCKET")
if GRIDSAFE_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": GRIDSAFE_S3_BUCKET,
            "endpoint_url": env_str("GRIDSAFE_S3_ENDPOINT_URL") or None,
            "region_name": env_str("GRIDSAFE_S3_REGION") or None,
            "access_key": env_secret("GRIDSAFE_S3_ACCESS_KEY") or None,
            "secret_key": env_secret("GRIDSAFE_S3_SECRET_KEY") or None,
            "location": env_str("GRIDSAFE_S3_PREFIX", ""),
            "default_acl": None,  # private objects: files are served through the API after a jurisdiction check
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": env_str("GRIDSAFE_S3_ADDRESSING", "path"),
        },
    }
# Operator's statement that MEDIA_ROOT is backed up off the machine (check_deploy asks for it with local media).
GRIDSAFE_MEDIA_BACKED_UP = env_bool("GRIDSAFE_MEDIA_BACKED_UP", False)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to a temp file, never whole into RAM
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "/login/"
SESSION_COOKIE_AGE = env_int("GRIDSAFE_SESSION_SECONDS", 30 * 60)
# Idle timeout, not absolute: activity extends the session, background polls do not. The session is saved when its
# activity mark moves (at most once a minute of page views: core.middleware.IdleSessionMiddleware), not every request.
SESSION_SAVE_EVERY_REQUEST = False

# --- Security (等保 2.0 level 3, domain.md §10) ---
# One backend for pages, admin and the API token: lockout, login rate limit and the login audit live there.
AUTHENTICATION_BACKENDS = ["gridsafe.accounts.backends.GuardedModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "gridsafe.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "gridsafe.accounts.passwords.NotUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "gridsafe.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"keep": 5}},
]
# How long an app process keeps a bearer token's lookup (accounts.identities); revocations reach it within a second
# regardless. 0: look the token up on every request. More than 60 has no effect (a token's last use is stamped
# once a minute, by the lookup).
GRIDSAFE_TOKEN_KEEP_SECONDS = env_int("GRIDSAFE_TOKEN_KEEP_SECONDS", 60)
GRIDSAFE_PASSWORD_MAX_AGE_DAYS = env_int("GRIDSAFE_PASSWORD_MAX_AGE_DAYS", 90)  # 0: never expires
# 我的下载 (core/jobs.py): how long a finished export is kept; up to how many rows an XLSX answers in the request.
GRIDSAFE_DOWNLOAD_DAYS = env_int("GRIDSAFE_DOWNLOAD_DAYS", 7)
GRIDSAFE_EXPORT_INLINE_ROWS = env_int("GRIDSAFE_EXPORT_INLINE_ROWS", 2000)
# accounts/resets.py: how a one-time password reset code reaches the user's phone. "": no SMS channel (the
# 安全管理员 hands codes over in person); "log": the gridsafe.sms logger, only while DEBUG (logs are no channel for
# a credential); or the dotted path of a callable send(phone, template, params): in production
# "gridsafe.messaging.sms.send_for_accounts", the SMS channel of 消息推送 (GRIDSAFE_MESSAGING_SMS, docs/messaging.md).
GRIDSAFE_SMS_BACKEND = env_str("GRIDSAFE_SMS_BACKEND", "")
GRIDSAFE_RESET_RATE = env_str("GRIDSAFE_RESET_RATE", "10/15m")  # reset-code attempts per client address
# Privileged roles must enrol a TOTP app before using the system (off in the demo, which logs in by password).
GRIDSAFE_2FA_REQUIRED = env_bool("GRIDSAFE_2FA_REQUIRED", False)
# accounts/lockout.py: failures of one account from one address lock that pair; failures of an account from
# anywhere, or from one address for any accounts, put a CAPTCHA in front of the next attempts (never a lock).
GRIDSAFE_LOGIN_MAX_FAILURES = env_int("GRIDSAFE_LOGIN_MAX_FAILURES", 5)  # per account and address, within the window
GRIDSAFE_LOGIN_CAPTCHA_AFTER = env_int("GRIDSAFE_LOGIN_CAPTCHA_AFTER", 3)  # per account, from any addresses
# … except from an address the account signed in from within these days (0: none), so strangers do not slow the owner
GRIDSAFE_LOGIN_KNOWN_ADDRESS_DAYS = env_int("GRIDSAFE_LOGIN_KNOWN_ADDRESS_DAYS", 30)
GRIDSAFE_LOGIN_IP_MAX_FAILURES = env_int("GRIDSAFE_LOGIN_IP_MAX_FAILURES", 20)  # per address, any accounts: CAPTCHA
GRIDSAFE_OTP_RATE = env_str("GRIDSAFE_OTP_RATE", "5/m")  # one-time codes tried per user (page and API)
# The CAPTCHA (accounts/challenge.py): small sums of digits, drawn with the CJK font Debian's fonts-noto-cjk
# installs (.ci/run does); without it (a bare demo machine), Pillow's own font, which has every digit and sign.
CAPTCHA_CHALLENGE_FUNCT = "gridsafe.accounts.challenge.arithmetic_challenge"
CAPTCHA_FONT_PATH = env_str("GRIDSAFE_CAPTCHA_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CAPTCHA_FONT_SIZE = 30
CAPTCHA_TIMEOUT = 5  # minutes a challenge may be answered
GRIDSAFE_LOGIN_WINDOW_MINUTES = env_int("GRIDSAFE_LOGIN_WINDOW_MINUTES", 15)
GRIDSAFE_LOGIN_LOCK_MINUTES = env_int("GRIDSAFE_LOGIN_LOCK_MINUTES", 15)
GRIDSAFE_LOGIN_RATE = env_str("GRIDSAFE_LOGIN_RATE", "30/m")  # login attempts per client address
GRIDSAFE_INTAKE_RATE = env_str("GRIDSAFE_INTAKE_RATE", "120/m")  # case reports, checklist visits, new places per user
GRIDSAFE_UPLOAD_RATE = env_str("GRIDSAFE_UPLOAD_RATE", "300/m")  # photos and documents per user
# Image decoding (cases.uploads): the memory one decode may take (width × height × bytes a pixel at the declared depth,
# from the header, before any pixel is decoded), decodes at once per process, and the wait for a slot (then 503).
GRIDSAFE_MAX_DECODE_BYTES = env_int("GRIDSAFE_MAX_DECODE_MB", 256) * 1024 * 1024
GRIDSAFE_MAX_CONCURRENT_DECODES = env_int("GRIDSAFE_MAX_CONCURRENT_DECODES", 2)
GRIDSAFE_DECODE_WAIT_SECONDS = env_int("GRIDSAFE_DECODE_WAIT_SECONDS", 3)
GRIDSAFE_ACTION_RATE = env_str("GRIDSAFE_ACTION_RATE", "120/m")  # case actions and comments per user (API and page)
# Reverse proxies in front of gunicorn (nginx: 1); their X-Forwarded-For gives the client address.
GRIDSAFE_PROXY_COUNT = env_int("GRIDSAFE_PROXY_COUNT", 0)
# Field encryption (core/fields.py) and the audit chain's HMAC key (core/audit.py). Empty: derived from SECRET_KEY,
# for development only; check_deploy refuses that.
GRIDSAFE_FIELD_KEY = env_secret("GRIDSAFE_FIELD_KEY")
GRIDSAFE_FIELD_OLD_KEYS = env_list("GRIDSAFE_FIELD_OLD_KEYS", [])
GRIDSAFE_AUDIT_KEY = env_secret("GRIDSAFE_AUDIT_KEY")
GRIDSAFE_AUDIT_OLD_KEYS = env_list("GRIDSAFE_AUDIT_OLD_KEYS", [])
GRIDSAFE_AUDIT_RETENTION_DAYS = max(180, env_int("GRIDSAFE_AUDIT_RETENTION_DAYS", 180))  # 网络安全法 §21: ≥ 6 months
# Signed audit/timeline checkpoints (core.audit); default $GRIDSAFE_DATA/audit/checkpoints.jsonl
GRIDSAFE_AUDIT_CHECKPOINTS = env_str("GRIDSAFE_AUDIT_CHECKPOINTS", "")

# HTTPS (GRIDSAFE_HTTPS=1 behind TLS, normally nginx): secure cookies, HSTS, redirect of plain HTTP.
GRIDSAFE_HTTPS = env_bool("GRIDSAFE_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = GRIDSAFE_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("GRIDSAFE_SSL_REDIRECT", GRIDSAFE_HTTPS)
SECURE_HSTS_SECONDS = env_int("GRIDSAFE_HSTS_SECONDS", 31536000 if GRIDSAFE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = GRIDSAFE_HTTPS
SECURE_HSTS_PRELOAD = False  # preload is a one-way decision for the whole domain; the county's IT office makes it
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # … so `check --deploy` does not insist on it
if GRIDSAFE_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# CSP (django-csp): scripts only from this origin or with the per-response nonce; no inline handlers or styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF, "blob:"],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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
# Every default lives here, once: code reads settings.X, never getattr(settings, "X", default).
GRIDSAFE_PDF_MAX_SECONDS = env_int("GRIDSAFE_PDF_MAX_SECONDS", 10)  # parsing budget of one uploaded PDF
GRIDSAFE_TRACK_RETENTION_DAYS = env_int("GRIDSAFE_TRACK_RETENTION_DAYS", 90)  # patrol GPS tracks (行踪轨迹)
# Fonts that draw Chinese, for photo watermarks and bulletin charts; empty: the usual Debian/Ubuntu paths, then fc-list.
GRIDSAFE_WATERMARK_FONT = env_str("GRIDSAFE_WATERMARK_FONT", "")
GRIDSAFE_CJK_FONT = env_str("GRIDSAFE_CJK_FONT", "")
# Base map (every Leaflet map; regions/basemap.py builds the layers, docs/maps.md). 天地图's browser key alone gives its
# 矢量/影像 layers; GRIDSAFE_TILE_URL adds another XYZ provider (GRIDSAFE_TILE_CRS=gcj02 for 高德/腾讯 tiles). Neither:
# no tiles, the region polygons on a plain background are the map. The CSP allows the tile hosts only when set.
GRIDSAFE_TIANDITU_KEY = env_str("GRIDSAFE_TIANDITU_KEY", "")
GRIDSAFE_TILE_CRS = env_str("GRIDSAFE_TILE_CRS", "wgs84")
GRIDSAFE_TILE_NAME = env_str("GRIDSAFE_TILE_NAME", "自定义底图")
GRIDSAFE_TILE_URL = env_str("GRIDSAFE_TILE_URL", "")
GRIDSAFE_TILE_ATTRIBUTION = env_str("GRIDSAFE_TILE_ATTRIBUTION", "")
GRIDSAFE_TILE_SUBDOMAINS = env_str("GRIDSAFE_TILE_SUBDOMAINS", "")
GRIDSAFE_TILE_LABELS_URL = env_str("GRIDSAFE_TILE_LABELS_URL", "")  # an annotation layer such as 天地图 cva_w
GRIDSAFE_TILE_MAX_ZOOM = env_int("GRIDSAFE_TILE_MAX_ZOOM", 18)
GRIDSAFE_MAP_CASE_LIMIT = env_int("GRIDSAFE_MAP_CASE_LIMIT", 2000)  # case points on /map/ (newest first)
# Messages out (gridsafe/messaging, docs/messaging.md). SMS: "log" or "aliyun" (阿里云短信 SDK; the endpoint may
# point elsewhere, e.g. a test server); WeCom robot/app: used once their key / corp id + secret are set, else "log".
GRIDSAFE_MESSAGING_SMS = env_str("GRIDSAFE_MESSAGING_SMS", "log")
GRIDSAFE_ALIYUN_SMS_ENDPOINT = env_str("GRIDSAFE_ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
GRIDSAFE_ALIYUN_ACCESS_KEY_ID = env_secret("GRIDSAFE_ALIYUN_ACCESS_KEY_ID")
GRIDSAFE_ALIYUN_ACCESS_KEY_SECRET = env_secret("GRIDSAFE_ALIYUN_ACCESS_KEY_SECRET")
GRIDSAFE_ALIYUN_SMS_SIGN_NAME = env_str("GRIDSAFE_ALIYUN_SMS_SIGN_NAME", "仙游网格安全")
GRIDSAFE_WECOM_BASE_URL = env_str("GRIDSAFE_WECOM_BASE_URL", "https://qyapi.weixin.qq.com")
GRIDSAFE_WECOM_ROBOT_KEY = env_secret("GRIDSAFE_WECOM_ROBOT_KEY")
GRIDSAFE_WECOM_CORP_ID = env_str("GRIDSAFE_WECOM_CORP_ID", "")
GRIDSAFE_WECOM_SECRET = env_secret("GRIDSAFE_WECOM_SECRET")
GRIDSAFE_WECOM_AGENT_ID = env_str("GRIDSAFE_WECOM_AGENT_ID", "")
GRIDSAFE_MESSAGING_RATE = env_str("GRIDSAFE_MESSAGING_RATE", "6/h")  # messages per recipient; more go to the digest
GRIDSAFE_MESSAGING_MAX_ATTEMPTS = env_int("GRIDSAFE_MESSAGING_MAX_ATTEMPTS", 5)  # then 发送失败 / 死信
GRIDSAFE_MESSAGING_RETRY_SECONDS = env_int("GRIDSAFE_MESSAGING_RETRY_SECONDS", 30)  # first backoff; doubles each try
GRIDSAFE_MESSAGING_DIGEST_HOUR = env_int("GRIDSAFE_MESSAGING_DIGEST_HOUR", 8)  # the daily digest goes out at 08:00
# Dashboards: the worker generates the 通报 on this working day of the month (1: the first, by the working calendar);
# 信息材料 催报 these many days before the month's end, 检查/例会 reminders these many days before the week or month
# ends; 文号 prefix of bulletins (仙网格〔2026〕12号); 金华 excludes 挂账 from 应处置数.
GRIDSAFE_BULLETIN_DAY = env_int("GRIDSAFE_BULLETIN_DAY", 1)
GRIDSAFE_REPORT_REMIND_DAYS_BEFORE = tuple(int(d) for d in env_list("GRIDSAFE_REPORT_REMIND_DAYS_BEFORE", ["10", "3"]))
GRIDSAFE_CADENCE_REMIND_DAYS_BEFORE = env_int("GRIDSAFE_CADENCE_REMIND_DAYS_BEFORE", 2)
GRIDSAFE_DOC_PREFIX = env_str("GRIDSAFE_DOC_PREFIX", "仙网格")
# 文号 prefix of the 挂牌督办 notices of major hazards (仙安办督〔2026〕1号), hazards/services.py.
GRIDSAFE_HAZARD_DOC_PREFIX = env_str("GRIDSAFE_HAZARD_DOC_PREFIX", "仙安办督")
GRIDSAFE_KPI_EXCLUDE_SUSPENDED = env_bool("GRIDSAFE_KPI_EXCLUDE_SUSPENDED", False)
GRIDSAFE_SCREEN_POLL_SECONDS = env_int("GRIDSAFE_SCREEN_POLL_SECONDS", 30)

# Video (issue 15, docs/video.md): the GB/T 28181 video gateway (a WVP-GB28181-pro compatible HTTP API) that gives
# a camera's live play address; empty: the development backend, which logs and plays nothing.
GRIDSAFE_VIDEO_GATEWAY_URL = env_str("GRIDSAFE_VIDEO_GATEWAY_URL", "")
GRIDSAFE_VIDEO_GATEWAY_USER = env_str("GRIDSAFE_VIDEO_GATEWAY_USER", "")
GRIDSAFE_VIDEO_GATEWAY_PASSWORD = env_secret("GRIDSAFE_VIDEO_GATEWAY_PASSWORD", "")
GRIDSAFE_VIDEO_JOIN_MINUTES = env_int("GRIDSAFE_VIDEO_JOIN_MINUTES", 30)  # repeats of a camera's alarm join its case
# Where the gateway's media server serves HLS/FLV (e.g. https://media.example:443): allowed to the camera page's player.
GRIDSAFE_VIDEO_MEDIA_ORIGINS = env_list("GRIDSAFE_VIDEO_MEDIA_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GRIDSAFE_LOG_LEVEL", "WARNING")},
}

# --- channels (issue 15): the 12345 hotline adapter, Open311 and 随手拍 (docs/hotline-12345.md, docs/open311.md) ---
GRIDSAFE_HOTLINE_ADAPTER = env_str("GRIDSAFE_HOTLINE_ADAPTER", "gridsafe.channels.hotline.JsonHttpPlatform")
GRIDSAFE_HOTLINE_BASE_URL = env_str("GRIDSAFE_HOTLINE_BASE_URL", "")  # where our 签收/退单/延期/办结回复 go
GRIDSAFE_HOTLINE_SECRET = env_secret("GRIDSAFE_HOTLINE_SECRET") or ""  # shared HMAC secret, both directions
GRIDSAFE_HOTLINE_TIMEOUT = env_int("GRIDSAFE_HOTLINE_TIMEOUT", 10)  # seconds per push
GRIDSAFE_HOTLINE_START_LEVEL = env_int("GRIDSAFE_HOTLINE_START_LEVEL", 3)  # 12345 orders start at the county centre
GRIDSAFE_HOTLINE_CATEGORY = env_str("GRIDSAFE_HOTLINE_CATEGORY", "")  # when neither the order nor its text names one
GRIDSAFE_OPEN311_CONTACT = env_str("GRIDSAFE_OPEN311_CONTACT", "仙游县社会治理网格化中心")
GRIDSAFE_SNAP_RATE = env_str("GRIDSAFE_SNAP_RATE", "10/h")  # 随手拍 submissions per client address
GRIDSAFE_SNAP_CODE_RATE = env_str("GRIDSAFE_SNAP_CODE_RATE", "5/h")  # SMS codes per address (and per phone)
GRIDSAFE_SNAP_PHONE_DAILY = env_int("GRIDSAFE_SNAP_PHONE_DAILY", 5)  # 随手拍 reports per phone per day
GRIDSAFE_OPEN311_RATE = env_str("GRIDSAFE_OPEN311_RATE", "60/m")  # Open311 POSTs per API key
GRIDSAFE_OPEN311_READ_RATE = env_str("GRIDSAFE_OPEN311_READ_RATE", "300/m")  # Open311 GETs per client address
GRIDSAFE_CITIZEN_CATEGORIES = env_list("GRIDSAFE_CITIZEN_CATEGORIES", [])  # codes citizens may report; empty: all
