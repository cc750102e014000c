"""The suite's fixtures live in lte/test.py; the per-process environment is set by lte/testenv.py."""

pytest_plugins = ["lte.test"]
