"""`python -m cbir_desktop` and the PyInstaller bundle start the window here."""

import sys

from cbir_desktop.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
