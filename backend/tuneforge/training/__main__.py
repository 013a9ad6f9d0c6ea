"""`python -m tuneforge.training run spec.json [--events-fd N]` (and train / evaluate)."""

import sys

from tuneforge.training.commands import main

sys.exit(main())
