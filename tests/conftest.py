"""Shared fixtures: tiny generated ONNX models with the real model contract, test photos."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import make_tiny_models  # noqa: E402 - tests/ goes on sys.path first


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with two tiny image models (8-d and 16-d) and a word projection."""
    return make_tiny_models(tmp_path_factory.mktemp("tiny_models"))


@pytest.fixture
def tiny_models(tiny_models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the engine at the tiny models for one test."""
    monkeypatch.setenv("CBIR_MODELS_DIR", str(tiny_models_dir))
    return tiny_models_dir


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    return tmp_path / "library"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs the shipped model on real photos")
