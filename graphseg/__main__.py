"""``python -m graphseg`` is the ``graphseg`` command."""
import sys

from .cli import main

sys.exit(main())
