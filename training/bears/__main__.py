import sys

from training.bears.cli import main

sys.exit(main())
