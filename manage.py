#!/usr/bin/env python3
"""Django's management commands; `lte` (the console script) does the same and adds `lte run`."""

import sys

from lte.cli import main

if __name__ == "__main__":
    sys.exit(main())
