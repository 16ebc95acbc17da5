"""``python -m benchmark.cli``: the same as ``igbench``."""

import sys

from benchmark.cli.main import main

sys.exit(main())
