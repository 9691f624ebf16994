"""Importing an ONNX image model a user exported elsewhere, after checking its contract.

The contract (the one `models/export.py` writes): one float32 input `[batch, 3, H, W]`
with H = W, RGB in [0, 1] with the model's normalisation inside the graph; an output
`features` `[batch, D]` (pooled image features); optionally `logits` `[batch, 1000]`
in ImageNet order, which gives tags and text search through the shipped projection.
Accepted models are copied into the library's `models/` folder, so `--library`
scopes them. A classifier head export.py wrote beside the model (`<stem>_head.onnx`,
or the one the manifest beside it names) comes along: it gives the model the WordNet
text step and the OCR first pass (engine/handles.py). Importing the same file again
refreshes its entry (to add a head exported later).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelLoadError
from ..files import write_atomic
from .manifest import Manifest
from .runner import onnxruntime

IMAGENET_CLASSES = 1000
DEFAULT_SIZE = 224  # for an input whose height and width are dynamic


@dataclass(frozen=True)
class CheckedModel:
    """What the contract check learned about a model file."""

    input_name: str
    size: int
    feature_dim: int
    logits_dim: int
    notes: tuple[str, ...]


def check_model(path: Path) -> CheckedModel:  # noqa: C901 - one check per contract rule, all reported
    """Check an ONNX file against the contract; every problem is named in the error."""
    ort = onnxruntime()
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises plain RuntimeErrors
        raise ModelLoadError(f"{path.name} is not an ONNX model onnxruntime can load: "
                             f"{str(exc).splitlines()[0][:300]}") from exc
    problems: list[str] = []
    notes: list[str] = []
    inputs = session.get_inputs()
    size = DEFAULT_SIZE
    if len(inputs) != 1:
        problems.append(f"it has {len(inputs)} inputs ({_names(inputs)}); it needs exactly one image input")
    else:
        image = inputs[0]
        shape = list(image.shape)
        if image.type != "tensor(float)":
            problems.append(f"input {image.name!r} is {image.type}; it must be float32 (tensor(float))")
        if len(shape) != 4:
            problems.append(f"input {image.name!r} has shape {_shape(shape)}; it must be [batch, 3, H, W]")
        else:
            if shape[1] != 3:
                problems.append(f"input {image.name!r} has {shape[1]} channels; it must have 3 (RGB, NCHW)")
            height, width = shape[2], shape[3]
            if isinstance(height, int) and isinstance(width, int):
                if height != width:
                    problems.append(f"input {image.name!r} is {height}x{width}; it must be square")
                size = height
            else:
                notes.append(f"input size is dynamic; photos are given at {DEFAULT_SIZE}x{DEFAULT_SIZE}")
    outputs = {o.name: list(o.shape) for o in session.get_outputs()}
    if "features" not in outputs:
        problems.append(
            f"it has no output named 'features' (outputs: {_outputs(outputs)}); export the pooled "
            "image features as 'features' [batch, D]"
        )
    elif len(outputs["features"]) != 2:
        problems.append(f"output 'features' has shape {_shape(outputs['features'])}; it must be [batch, D]")
    if "logits" in outputs and len(outputs["logits"]) != 2:
        problems.append(f"output 'logits' has shape {_shape(outputs['logits'])}; it must be [batch, classes]")
    if problems:
        raise ModelLoadError(f"{path.name} does not fit the model contract: " + "; ".join(problems) + ".")

    # Shapes in the graph can lie (or be symbolic): run a real batch of two.
    name = inputs[0].name
    wanted = ["features"] + (["logits"] if "logits" in outputs else [])
    try:
        results = session.run(wanted, {name: np.random.default_rng(0).random((2, 3, size, size), np.float32)})
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign model is reported, not raised raw
        raise ModelLoadError(f"{path.name} failed on a batch of 2 photos at {size}x{size}: "
                             f"{str(exc).splitlines()[0][:300]}") from exc
    features = np.asarray(results[0])
    if features.ndim != 2 or features.shape[0] != 2:
        raise ModelLoadError(f"{path.name}: 'features' came out as {list(features.shape)} for a batch of 2; "
                             "it must be [2, D] (is the batch dimension dynamic?)")
    if not np.all(np.isfinite(features)):
        raise ModelLoadError(f"{path.name}: 'features' holds NaN or infinite values for ordinary input.")
    logits_dim = int(np.asarray(results[1]).shape[1]) if len(results) > 1 else 0
    if logits_dim and logits_dim != IMAGENET_CLASSES:
        notes.append(f"{logits_dim} logits are not ImageNet's 1000 classes: no tags or word search")
        logits_dim = 0
    if not logits_dim:
        notes.append("no ImageNet logits: search by image only (no tags, no text search)")
    return CheckedModel(name, int(size), int(features.shape[1]), logits_dim, tuple(notes))


def import_model(library_models: Path, manifest: Manifest, file: Path,
                 name: str | None = None) -> tuple[str, CheckedModel]:
    """Check `file`, copy it into `library_models` and list it there; returns (id, check)."""
    file = Path(file).expanduser()
    if not file.is_file():
        raise ModelLoadError(f"{file} does not exist.")
    checked = check_model(file)
    model_id = _model_id(name or file.stem)
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    known = manifest.models.get(model_id)
    again = known is not None and known.path.parent == library_models and known.sha256 == digest
    if known is not None and not again:
        raise ModelLoadError(f"A model called {model_id!r} already exists; choose another --name.")
    library_models.mkdir(parents=True, exist_ok=True)
    target = library_models / f"{model_id}.onnx"
    if not again:
        shutil.copyfile(file, target)
    notes: list[str] = []
    entry: dict[str, Any] = {
        "name": name or file.stem,
        "file": target.name,
        "sha256": digest,
        "input": {"name": checked.input_name, "size": checked.size, "resize": "center_crop"},
        "outputs": {"features": {"name": "features", "dim": checked.feature_dim}},
        "licence": "imported by the user",
        "source": f"imported from {file.resolve()}",
    }
    if checked.logits_dim:
        entry["outputs"]["logits"] = {"name": "logits", "dim": checked.logits_dim}
        entry["label_set"] = "imagenet-1k"
        entry["projection"] = "conse-imagenet-1k"
        head = _import_head(file, checked, library_models / f"{model_id}_head.onnx", notes)
        if head:
            entry["class_head"] = head
    _write_entry(library_models / "manifest.json", model_id, entry)
    return model_id, replace(checked, notes=checked.notes + tuple(notes))


def _import_head(file: Path, checked: CheckedModel, target: Path, notes: list[str]) -> dict[str, Any] | None:
    """Copy the classifier head exported beside `file` to `target` if it fits the model;
    returns the manifest's "class_head" entry, None when there is none (a note says why)."""
    found = _head_beside(file)
    if found is None:
        return None
    head, scale = found
    problem = _head_problem(head, checked.feature_dim)
    if problem:
        notes.append(f"the classifier head {head.name} beside it {problem}: imported without it "
                     "(no WordNet words in text search)")
        return None
    shutil.copyfile(head, target)
    entry: dict[str, Any] = {"file": target.name, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}
    if scale is not None:
        entry["feature_scale"] = scale
    return entry


def _head_beside(file: Path) -> tuple[Path, float | None] | None:
    """The head the manifest beside `file` names for it, else `<stem>_head.onnx`; with its
    feature scale where the manifest gives it."""
    try:
        listed = json.loads((file.parent / "manifest.json").read_text(encoding="utf-8")).get("models", {})
        for entry in listed.values():
            head = entry.get("class_head") or {}
            if entry.get("file") == file.name and head.get("file") and (file.parent / head["file"]).is_file():
                scale = head.get("feature_scale")
                return file.parent / head["file"], None if scale is None else float(scale)
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    head = file.with_name(f"{file.stem}_head.onnx")
    return (head, None) if head.is_file() else None


def _head_problem(head: Path, feature_dim: int) -> str:
    """Why `head` cannot map this model's features to 1000 class probabilities ("" if it can)."""
    ort = onnxruntime()
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(str(head), options, providers=["CPUExecutionProvider"])
        rows = np.full((2, feature_dim), feature_dim ** -0.5, np.float32)
        probabilities = np.asarray(session.run(["probabilities"], {"features": rows})[0])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises plain RuntimeErrors
        return f"does not run on {feature_dim}-d features ({str(exc).splitlines()[0][:200]})"
    if probabilities.shape != (2, IMAGENET_CLASSES):
        return f"gives {list(probabilities.shape)}, not [2, {IMAGENET_CLASSES}] class probabilities"
    return ""


def _write_entry(path: Path, model_id: str, entry: dict[str, Any]) -> None:
    data: dict[str, Any] = (json.loads(path.read_text(encoding="utf-8")) if path.is_file()
                            else {"schema": 1, "models": {}})
    data.setdefault("models", {})[model_id] = entry
    write_atomic(path, json.dumps(data, indent=2).encode("utf-8"))


def _model_id(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    if not slug:
        raise ModelLoadError(f"{text!r} cannot name a model; use letters and digits.")
    return slug


def _names(items: Any) -> str:
    return ", ".join(repr(i.name) for i in items)


def _shape(shape: list[Any]) -> str:
    return "[" + ", ".join(str(d) if isinstance(d, int) else str(d or "?") for d in shape) + "]"


def _outputs(outputs: dict[str, list[Any]]) -> str:
    return ", ".join(f"{name!r} {_shape(shape)}" for name, shape in outputs.items()) or "none"
