import sys

from tools.kb.cli import main

sys.exit(main())
