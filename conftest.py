"""The suite's fixtures live in lte/testing/plugin.py; the per-process environment is set by lte/testing/env.py."""

pytest_plugins = ["lte.testing.plugin"]
