"""``python -m geogan_core``."""

import sys

from geogan_core.cli import main

sys.exit(main())
