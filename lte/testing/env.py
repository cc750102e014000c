"""Loaded with `-p lte.testing.env` (pyproject addopts) before pytest-django reads the settings, in every
xdist worker too: each test process gets its own data dir and cache key prefix, and jobs run inline."""

import atexit
import os
import shutil
import tempfile

_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
if os.environ.get("LTE_TEST_DATA_DIR"):
    os.environ["LTE_DATA_DIR"] = os.environ["LTE_TEST_DATA_DIR"]
else:
    os.environ["LTE_DATA_DIR"] = tempfile.mkdtemp(prefix=f"lte-test-{_worker}-")
    atexit.register(shutil.rmtree, os.environ["LTE_DATA_DIR"], ignore_errors=True)
os.environ["LTE_CACHE_PREFIX"] = f"lte-test-{os.getpid()}-{_worker}"
os.environ["LTE_JOBS_IMMEDIATE"] = "1"
os.environ["LTE_USAGE_FLUSH_SECONDS"] = "0"  # no background writer: a test that reads usage events calls flush()
