import sys

from tools.feedback.cli import main

sys.exit(main())
