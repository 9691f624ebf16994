"""Every ImageNet-1k model with its own classifier head gets the WordNet text step and the OCR
first pass: export.py writes `<stem>_head.onnx`, `models import` brings it into the library."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import ModelLoadError
from cbir_desktop.engine.handles import LibraryHandles
from cbir_desktop.engine.indexing.ocr_step import first_pass_for
from cbir_desktop.engine.models.runner import OnnxRunner
from models.class_heads import classifier_head, head_graph

DIM, CLASSES, SCALE = 16, 1000, 10.0
GOLDEN_RETRIEVER = 207
REPO = Path(__file__).resolve().parents[2]


def _class_weights() -> np.ndarray:
    """1000 distinct unit rows: a feature along row c puts class c first."""
    weight = np.random.default_rng(3).normal(size=(CLASSES, DIM)).astype(np.float32)
    return weight / np.linalg.norm(weight, axis=1, keepdims=True)


def _exported_like(path: Path) -> Path:
    """mean colour -> features [batch, 16] -> logits by MatMul + Add, as an exported backbone ends."""
    mix = np.random.default_rng(1).normal(size=(3, DIM)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["image"], ["mean"], axes=[2, 3], keepdims=0),
         helper.make_node("MatMul", ["mean", "mix"], ["features"]),
         helper.make_node("MatMul", ["features", "fc_weight"], ["fc"]),
         helper.make_node("Add", ["fc", "fc_bias"], ["logits"])],
        "exported_like",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 64, 64])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", DIM]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])],
        [numpy_helper.from_array(mix, "mix"),
         numpy_helper.from_array(_class_weights().T.copy(), "fc_weight"),
         numpy_helper.from_array(np.zeros(CLASSES, np.float32), "fc_bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def _with_head(folder: Path, name: str = "net", head_name: str | None = None) -> Path:
    """An exported-like model and its head (export.py's `<stem>_head.onnx` unless named)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = _exported_like(folder / f"{name}.onnx")
    weight, bias = classifier_head(model)
    (folder / (head_name or f"{name}_head.onnx")).write_bytes(head_graph(weight * SCALE, bias, producer="export"))
    return model


def _toward(cls: int) -> np.ndarray:
    """A stored (unit) feature pointing at one class."""
    return _class_weights()[cls][None, :].astype(np.float32)


def test_an_imported_model_with_its_head_gets_the_hierarchy_and_the_first_pass(tmp_path: Path) -> None:
    file = _with_head(tmp_path / "export")
    with open_library(tmp_path / "lib") as library:
        model_id, notes = library.import_model(file)
        assert notes == []
        assert library.word_hierarchy(model_id) is not None
    entry = json.loads((tmp_path / "lib" / "models" / "manifest.json").read_text())["models"][model_id]
    assert entry["class_head"]["file"] == "net_head.onnx"
    assert (tmp_path / "lib" / "models" / "net_head.onnx").is_file()
    handles = LibraryHandles(tmp_path / "lib")
    try:
        embedder = handles.embedder(model_id)
        head = handles.class_head(embedder)
        assert head is not None
        probabilities = head(_toward(GOLDEN_RETRIEVER))
        assert probabilities.shape == (1, CLASSES) and int(probabilities.argmax()) == GOLDEN_RETRIEVER
        assert handles.word_hierarchy(embedder, handles.word_space()) is not None
        assert first_pass_for(handles, embedder) is not None
    finally:
        handles.close()


def test_the_head_the_manifest_beside_names_comes_with_its_feature_scale(tmp_path: Path) -> None:
    file = _with_head(tmp_path / "export", "lite9", head_name="odd name.onnx")
    (tmp_path / "export" / "manifest.json").write_text(json.dumps({"models": {"x": {
        "file": "lite9.onnx", "class_head": {"file": "odd name.onnx", "feature_scale": SCALE}}}}))
    with open_library(tmp_path / "lib") as library:
        model_id, _ = library.import_model(file)
        assert library.manifest.model(model_id).class_head is not None
        assert library.manifest.model(model_id).class_head.feature_scale == SCALE  # type: ignore[union-attr]
        assert library.word_hierarchy(model_id) is not None


def test_without_a_head_an_imported_model_has_no_hierarchy_and_no_first_pass(tmp_path: Path) -> None:
    file = _exported_like(tmp_path / "plain.onnx")
    with open_library(tmp_path / "lib") as library:
        model_id, notes = library.import_model(file)
        assert notes == [] and library.word_hierarchy(model_id) is None
    handles = LibraryHandles(tmp_path / "lib")
    try:
        embedder = handles.embedder(model_id)
        assert handles.class_head(embedder) is None and first_pass_for(handles, embedder) is None
    finally:
        handles.close()


def test_a_head_that_does_not_fit_the_model_is_left_out_with_a_note(tmp_path: Path) -> None:
    file = _exported_like(tmp_path / "net.onnx")
    wrong = np.random.default_rng(0).normal(size=(CLASSES, DIM + 1)).astype(np.float32)
    (tmp_path / "net_head.onnx").write_bytes(head_graph(wrong, np.zeros(CLASSES, np.float32)))
    with open_library(tmp_path / "lib") as library:
        model_id, notes = library.import_model(file)
        assert len(notes) == 1 and "net_head.onnx" in notes[0] and "imported without it" in notes[0]
        assert library.word_hierarchy(model_id) is None
    assert not (tmp_path / "lib" / "models" / "net_head.onnx").exists()


def test_a_damaged_head_is_not_used(tmp_path: Path) -> None:
    file = _with_head(tmp_path / "export")
    with open_library(tmp_path / "lib") as library:
        model_id, _ = library.import_model(file)
    head = tmp_path / "lib" / "models" / "net_head.onnx"
    head.write_bytes(head.read_bytes()[:-1] + b"\0")
    with open_library(tmp_path / "lib") as library:
        assert library.word_hierarchy(model_id) is None


def test_importing_the_same_file_again_adds_the_head_exported_since(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    file = _exported_like(tmp_path / "export" / "net.onnx")
    with open_library(tmp_path / "lib") as library:
        model_id, _ = library.import_model(file)
        assert library.word_hierarchy(model_id) is None
        _with_head(tmp_path / "export")  # the same model bytes again, now with its head beside
        assert library.import_model(file)[0] == model_id
        assert library.word_hierarchy(model_id) is not None
        # Another model under the same name is still refused.
        other = onnx.load(file)
        other.producer_name = "someone else"
        onnx.save(other, tmp_path / "net.onnx")
        with pytest.raises(ModelLoadError, match="already exists"):
            library.import_model(tmp_path / "net.onnx")


def test_the_shipped_lite0_keeps_its_head(tmp_path: Path) -> None:
    """Lite0's head is the shipped imagenet_head.onnx, exactly as before."""
    handles = LibraryHandles(tmp_path / "lib")
    try:
        embedder = handles.embedder("efficientnet-lite0")
        head = handles.class_head(embedder)
        assert head is not None and handles.word_hierarchy(embedder, handles.word_space()) is not None
        shipped = OnnxRunner(REPO / "models" / "imagenet_head.onnx", 1, providers=("CPUExecutionProvider",))
        unit = np.random.default_rng(5).random((3, 1280)).astype(np.float32)
        unit /= np.linalg.norm(unit, axis=1, keepdims=True)
        assert np.array_equal(head(unit), shipped.run(["probabilities"], {"features": unit})[0])
    finally:
        handles.close()
