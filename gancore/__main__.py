import sys

from gancore.cli import main

sys.exit(main())
