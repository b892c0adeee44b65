import sys

from bot.feedback.cli import main

sys.exit(main())
