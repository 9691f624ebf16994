"""`python -m cbir_desktop` and the PyInstaller bundle start the window here."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A worker process the bundle spawns (the faces step's) starts here too: it runs its task and
    # stops. The window is imported after, so workers of `python -m cbir_desktop` never load Qt.
    multiprocessing.freeze_support()
    from cbir_desktop.ui.app import main

    sys.exit(main())
