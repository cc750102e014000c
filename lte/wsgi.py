"""The WSGI application. `lte run` has gunicorn load it once, before forking its workers (--preload): so the
workers share one copy of the code and of what is built at start (the URLconf, the API's schemas) instead of
each holding its own, and the idle server stays small (issue 9: ≤ 300 MB for web + worker)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lte.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 — every view module and the API imported now, in the shared copy
# What exists now lives as long as the process: moved out of the collector's reach, its pages aren't written to
# (and so copied) by each worker's first garbage collection (Python's advice for pre-fork servers).
gc.freeze()
