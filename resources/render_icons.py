"""Render the app icon's PNGs from cbir-desktop.svg, so the app never needs SVG support.

Run after editing the SVG, and commit the PNGs with it:
    QT_QPA_PLATFORM=offscreen python resources/render_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (16, 32, 48, 64, 128, 256)  # the hicolor sizes desktops look for


def render(svg: Path, side: int) -> QImage:
    """`svg` drawn on a transparent square of `side` pixels, antialiased."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, side, side))
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])  # fonts and painting need one
    svg = HERE / "cbir-desktop.svg"
    for side in SIZES:
        target = HERE / f"cbir-desktop-{side}.png"
        if not render(svg, side).save(str(target)):
            raise SystemExit(f"could not write {target}")
        print(target.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
