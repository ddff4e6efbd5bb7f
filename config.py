"""Default configuration.

`create_app()` loads these defaults, then `instance/config.py` (if present), then environment
variables (`DATABASE_URL`, `BAOGONG_HTTPS`, `BAOGONG_TIMEZONE`, `REDIS_URL`), then a test
configuration.
"""

from datetime import timedelta

# Languages the interface speaks, the first is the default.
LANGUAGES = ["zh", "en"]
BABEL_DEFAULT_LOCALE = "zh"
# Times are stored in UTC and shown in the city's local time.
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Session cookie: not readable from JavaScript, not sent on cross-site sub-requests.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "baogong_session"
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# Set HTTPS = True (or BAOGONG_HTTPS=1) behind TLS: Secure cookies, HTTP redirected to HTTPS.
HTTPS = False

WTF_CSRF_TIME_LIMIT = 8 * 3600

# Failed sign-ins: at most this many per account, and per address, inside the window.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

# Uploads (certificate scans, spreadsheets): refuse larger requests outright.
MAX_CONTENT_LENGTH = 20 * 1024 * 1024
# Certificate scans: at most this size per file (PDF, JPEG or PNG, checked by content).
SCAN_MAX_BYTES = 10 * 1024 * 1024

# PDFs are rendered in a fork of a warm render server, one per app process (audit/render.py),
# started by the first request. False renders in the app's own process (tests of small PDFs).
PDF_RENDER_IN_CHILD = True

# Price flags: a purchase line more than this percentage above the median unit price of the
# grade's purchases in the last PRICE_MEDIAN_DAYS days (with at least PRICE_MEDIAN_MIN_LINES
# of them) is flagged, as is any line above the admin-kept agreed price.
PRICE_MEDIAN_TOLERANCE_PERCENT = 20
PRICE_MEDIAN_DAYS = 90
PRICE_MEDIAN_MIN_LINES = 3

# Background jobs (core/jobs): with REDIS_URL set (or the environment's REDIS_URL), long work
# goes to an RQ queue on that Redis and `flask jobs worker` runs it; without it, jobs run at
# once in the request. A job is stopped after JOB_TIMEOUT seconds; a job whose worker died is
# run again from the start up to JOB_RETRIES times, then marked failed.
REDIS_URL = None
JOB_QUEUE = "baogong"
JOB_TIMEOUT = 600
JOB_RETRIES = 1
# How long the queue keeps a finished job's record (the jobs table keeps the row itself).
JOB_RESULT_TTL = 3600
# A progress report is written at most this often (seconds); how often a worker looks for jobs
# abandoned by dead workers elsewhere (seconds).
JOB_PROGRESS_INTERVAL = 0.5
JOB_MAINTENANCE_INTERVAL = 60

# Work from this size up runs as a background job with a progress page (below it, in the
# request): an uploaded import file's bytes (256 KB: some 5,000 rows of CSV), a plan's requests.
IMPORT_JOB_MIN_BYTES = 256 * 1024
PLAN_JOB_MIN_REQUESTS = 5000
# A plan PDF or recall report of this many lines is rendered by a job too.
PDF_JOB_MIN_LINES = 2000

# Citizens' booking pages (rationing): attempts per address (a housing estate may share one) and
# per identity card number, as Flask-Limiter rates. The limits are kept in Redis when REDIS_URL is
# set (all workers share them), else in each process's memory.
BOOKING_LIMIT_PER_ADDRESS = "120 per 10 minutes"
BOOKING_LIMIT_PER_PERSON = "10 per hour"
# Code look-ups and confirmations per member of outlet staff: a busy counter serves one person
# every few seconds; guessing 8-digit codes needs millions of tries.
PICKUP_LIMIT_PER_CLERK = "600 per hour"
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
