"""Test support for the whole suite, one module per job:

- ``env``: the per-process environment (data dir, cache prefix, inline jobs), loaded with ``-p lte.testing.env``
  before Django starts, so this package's ``__init__`` imports nothing;
- ``plugin``: the pytest plugin conftest.py loads: isolation of every test and the shared cast (alice, bob,
  staff) with their page and API clients;
- ``helpers``: what tests call directly: ``make_user``, ``bearer_client``, the outbox readers;
- ``server`` and ``browser``: a real ``lte run`` and headless Chromium for the end-to-end tests;
- ``instance``: a throwaway instance driven by subprocesses, for backup, restore and snapshot drills.
"""
