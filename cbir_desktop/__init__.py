"""cbir-desktop: offline photo search by example, by word, with auto-tags."""

__version__ = "0.1.0"
