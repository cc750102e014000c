"""The suite's fixtures live in lte/testing/plugin.py (and, for the browser tests, lte/testing/browser.py); the
per-process environment is set by lte/testing/env.py."""

pytest_plugins = ["lte.testing.plugin", "lte.testing.browser"]
