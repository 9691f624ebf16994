"""The model manifest: the only way the app learns which model files exist.

`models/manifest.json` describes each shipped model (file, sha256, input size and
resize policy, outputs and their dimensions, label set, word projection, licence,
source). Files are found through `importlib.resources`, which works from a source
checkout, an installed wheel and a PyInstaller bundle alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    """One image model as the manifest describes it."""

    id: str
    name: str
    path: Path
    sha256: str
    input_name: str
    input_size: int
    resize: str
    features_name: str
    feature_dim: int
    logits_name: str | None
    logits_dim: int
    labels_path: Path | None
    projection: ProjectionSpec | None
    licence: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    class_head: ClassHeadSpec | None = None  # its ImageNet classifier head for stored features, if any


@dataclass(frozen=True)
class ClassHeadSpec:
    """A model's classifier head as its own graph (unit features -> ImageNet class
    probabilities), written beside the model by models/export.py."""

    path: Path
    sha256: str
    feature_scale: float


@dataclass(frozen=True)
class ProjectionSpec:
    """A word projection: an ONNX graph mapping a model's logits to word space."""

    id: str
    path: Path
    sha256: str
    input_name: str
    output_name: str
    dim: int


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest plus the folder its files live in."""

    root: Path
    default_model: str
    models: dict[str, ModelSpec]
    word_vectors_path: Path | None
    word_vectors_info: dict[str, Any]
    label_sets: dict[str, Path] = field(default_factory=dict)
    projections: dict[str, ProjectionSpec] = field(default_factory=dict)

    def with_library_models(self, folder: Path) -> Manifest:
        """Add the models a user imported into a library (`folder/manifest.json`).

        Their entries name files relative to `folder` and may use the shipped label
        sets and word projections by id. Shipped models keep their ids.
        A damaged list leaves the library working with the shipped models (a warning
        says so); importing the models again rewrites it.
        """
        path = folder / "manifest.json"
        if not path.is_file():
            return self
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            extra = {
                key: _model_spec(key, entry, folder, self.label_sets, self.projections)
                for key, entry in raw.get("models", {}).items()
                if key not in self.models
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("The imported-models list %s is damaged (%s); only the shipped models are available "
                        "until you import yours again", path, exc)
            return self
        return replace(self, models={**self.models, **extra})

    def model(self, model_id: str | None) -> ModelSpec:
        """Return the spec for `model_id` (None means the default model)."""
        key = model_id or self.default_model
        try:
            return self.models[key]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise ModelLoadError(f"Unknown model {key!r}; known models: {known}.") from None


def models_dir() -> Path:
    """Where the shipped models live: env override, bundle, installed package, checkout."""
    override = os.environ.get("CBIR_MODELS_DIR")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and (Path(bundle) / "models" / "manifest.json").is_file():
        return Path(bundle) / "models"
    try:
        # A namespace package (no __init__.py): files() is a MultiplexedPath whose str() is
        # no path, so a non-editable install never found its models; a file joined to it is.
        packaged = resources.files("cbir_desktop._models").joinpath("manifest.json")
        if packaged.is_file():
            return Path(str(packaged)).parent
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[3] / "models"


def load_manifest(root: Path | None = None) -> Manifest:
    """Parse `manifest.json` under `root` (default: `models_dir()`); cached per file."""
    path = Path(root or models_dir()) / "manifest.json"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load_manifest(path, stamp)


@lru_cache(maxsize=8)
def _load_manifest(path: Path, stamp: int) -> Manifest:
    root = path.parent
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"The model manifest {path} is missing; reinstall cbir-desktop.") from None
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"The model manifest {path} is not valid JSON: {exc}.") from None
    label_sets = {
        key: root / entry["file"] for key, entry in raw.get("label_sets", {}).items() if entry.get("file")
    }
    projections = {
        key: ProjectionSpec(
            id=key,
            path=root / entry["file"],
            sha256=entry.get("sha256", ""),
            input_name=entry["input"]["name"],
            output_name=entry["output"]["name"],
            dim=int(entry["output"]["dim"]),
        )
        for key, entry in raw.get("projections", {}).items()
    }
    models = {
        key: _model_spec(key, entry, root, label_sets, projections)
        for key, entry in raw.get("models", {}).items()
    }
    # "word_vectors": {"default": NAME, NAME: {"file": ..., "dim": ...}, ...}
    all_vectors = raw.get("word_vectors") or {}
    vectors = all_vectors.get(all_vectors.get("default", ""), {})
    return Manifest(
        root=root,
        default_model=raw.get("default_model") or next(iter(models), ""),
        models=models,
        word_vectors_path=root / vectors["file"] if vectors.get("file") else None,
        word_vectors_info=vectors,
        label_sets=label_sets,
        projections=projections,
    )


def _model_spec(
    key: str,
    entry: dict[str, Any],
    root: Path,
    label_sets: dict[str, Path],
    projections: dict[str, ProjectionSpec],
) -> ModelSpec:
    outputs = entry["outputs"]
    logits = outputs.get("logits")
    return ModelSpec(
        id=key,
        name=entry.get("name", key),
        path=root / entry["file"],
        sha256=entry.get("sha256", ""),
        input_name=entry["input"].get("name", "image"),
        input_size=int(entry["input"].get("size", 224)),
        resize=entry["input"].get("resize", "center_crop"),
        features_name=outputs["features"]["name"],
        feature_dim=int(outputs["features"]["dim"]),
        logits_name=logits["name"] if logits else None,
        logits_dim=int(logits["dim"]) if logits else 0,
        labels_path=label_sets.get(entry.get("label_set", "")),
        projection=projections.get(entry.get("projection", "")),
        licence=entry.get("licence", ""),
        source=entry.get("source", ""),
        extra=entry,
        class_head=_class_head(entry.get("class_head"), root),
    )


def _class_head(entry: dict[str, Any] | None, root: Path) -> ClassHeadSpec | None:
    """The model entry's "class_head" (absent in older manifests: no head)."""
    if not entry or not entry.get("file"):
        return None
    return ClassHeadSpec(root / entry["file"], entry.get("sha256", ""), float(entry.get("feature_scale", 1.0)))


def verify_sha256(path: Path, expected: str) -> None:
    """Refuse a model file whose bytes differ from the manifest (damaged download)."""
    if not expected:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelLoadError(f"The model file {path} is damaged (sha256 mismatch); import it again if you "
                             "imported it, else reinstall cbir-desktop.")
