"""`python -m qa_desktop.gui [ARGS]` is `qa-desktop [ARGS]`: one argument parser, cli.py's."""

import sys

from qa_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
