"""Entry point of `cbir-desktop`."""

from __future__ import annotations

import sys


def main() -> int:
    print("The cbir-desktop window is not built yet; use the `cbir` command line.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
