import sys

from gancore.app.cli import main

sys.exit(main())
