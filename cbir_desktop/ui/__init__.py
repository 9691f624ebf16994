"""The Qt desktop window (issue 3): a thin shell over `cbir_desktop.engine.api`."""
