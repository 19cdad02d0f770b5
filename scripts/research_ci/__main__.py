"""``python -m research_ci`` runs the CLI."""

import sys

from research_ci.cli import main

sys.exit(main())
