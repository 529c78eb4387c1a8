"""`python -m recs ...` entry point."""

import sys

from recs.cli import main

sys.exit(main())
