"""``python -m emulator``: the same as the ``pyx86`` command."""

import sys

from emulator.cli import main

sys.exit(main())
