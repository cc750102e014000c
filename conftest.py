"""Test scaffolding for the whole suite: an isolated data dir per worker, fast hashing, clean caches."""

import os
import tempfile

# Before Django reads its settings: every test process gets its own data dir, cache prefix and jobs run inline.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ.setdefault("LTE_DATA_DIR", tempfile.mkdtemp(prefix=f"lte-test-{_worker}-"))
os.environ["LTE_CACHE_PREFIX"] = f"lte-test-{_worker}"
os.environ.setdefault("LTE_JOBS_IMMEDIATE", "1")

pytest_plugins = ["lte.test"]
