"""Importing user ONNX models: the contract check names what is wrong; accepted ones work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import solid
from onnx import TensorProto, helper, numpy_helper

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.errors import ModelLoadError


def _model(path: Path, outputs: dict[str, int], channels: int = 3, size: int | str = 64,
           dtype: int = TensorProto.FLOAT) -> Path:
    """mean colour -> each named output of the given width (a real, runnable graph)."""
    nodes = [helper.make_node("Cast", ["pixels"], ["floats"], to=TensorProto.FLOAT),
             helper.make_node("ReduceMean", ["floats"], ["mean"], axes=[2, 3], keepdims=0)]
    inits = []
    for i, (name, dim) in enumerate(outputs.items()):
        values = np.random.default_rng(i).normal(size=(channels, dim)).astype(np.float32)
        weight = numpy_helper.from_array(values, f"w{i}")
        inits.append(weight)
        nodes.append(helper.make_node("MatMul", ["mean", f"w{i}"], [name]))
    graph = helper.make_graph(
        nodes, "user",
        [helper.make_tensor_value_info("pixels", dtype, ["batch", channels, size, size])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", d]) for n, d in outputs.items()],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_a_fitting_model_is_imported_into_the_library_and_searches(tiny_models: Path, tmp_path: Path) -> None:
    file = _model(tmp_path / "My Net.onnx", {"features": 32, "logits": 1000})
    for colour in ("red", "green", "blue"):
        solid(tmp_path / "photos" / f"{colour}.jpg", colour)
    with open_library(tmp_path / "lib") as library:
        model_id, notes = library.import_model(file)
        assert model_id == "my-net" and notes == []
        assert (tmp_path / "lib" / "models" / "my-net.onnx").is_file()
        assert "my-net" in [m.id for m in library.models()]
        library.index([tmp_path / "photos"], model_id="my-net")
        hits = library.search_image(tmp_path / "photos" / "green.jpg", k=1, model_id="my-net")
        assert Path(hits[0].path).name == "green.jpg"
    # Scoped to the library: another library does not see it.
    with open_library(tmp_path / "other") as other:
        assert "my-net" not in [m.id for m in other.models()]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"outputs": {"output": 1000}}, "no output named 'features' (outputs: 'output' [batch, 1000])"),
        ({"outputs": {"features": 8}, "channels": 1}, "has 1 channels; it must have 3"),
        ({"outputs": {"features": 8}, "dtype": TensorProto.DOUBLE}, "must be float32"),
    ],
)
def test_a_model_that_does_not_fit_says_exactly_why(tiny_models: Path, tmp_path: Path,
                                                     kwargs: dict, message: str) -> None:
    file = _model(tmp_path / "bad.onnx", **kwargs)
    with open_library(tmp_path / "lib") as library:
        with pytest.raises(ModelLoadError, match="does not fit the model contract") as info:
            library.import_model(file)
        assert message in str(info.value)
        assert not (tmp_path / "lib" / "models" / "bad.onnx").exists()


def test_a_file_that_is_not_onnx_is_refused(tiny_models: Path, tmp_path: Path) -> None:
    file = tmp_path / "notes.onnx"
    file.write_text("not a model")
    with open_library(tmp_path / "lib") as library:
        with pytest.raises(ModelLoadError, match="not an ONNX model onnxruntime can load"):
            library.import_model(file)


def test_cli_models_import_and_list(tiny_models: Path, tmp_path: Path) -> None:
    file = _model(tmp_path / "feats.onnx", {"features": 16})
    env_lib = ["--library", str(tmp_path / "lib")]
    out = subprocess.run([sys.executable, "-m", "cbir_desktop.cli", *env_lib, "models", "import", str(file),
                          "--name", "Plain16"], capture_output=True, text=True, check=True).stdout
    assert "imported plain16" in out and "no tags" in out
    listed = json.loads(subprocess.run([sys.executable, "-m", "cbir_desktop.cli", *env_lib, "models", "--json"],
                                       capture_output=True, text=True, check=True).stdout)
    assert {"tiny8", "tiny16", "plain16"} <= {m["id"] for m in listed}
    bad = subprocess.run([sys.executable, "-m", "cbir_desktop.cli", *env_lib, "models", "import",
                          str(tmp_path / "missing.onnx")], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "does not exist" in bad.stderr


def test_a_damaged_imported_models_list_leaves_the_shipped_models_working(tiny_models: Path, tmp_path: Path) -> None:
    """The library's own models/manifest.json is the one file of imports: damage to it must not
    lock the user out of their library (they import again)."""
    from helpers import solid

    from cbir_desktop.engine.api import open_library

    solid(tmp_path / "photos" / "red.jpg", "red")
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos"])
        model_id, _ = library.import_model(tiny_models / "tiny16.onnx", "mine")
        assert model_id in library.manifest.models
    listing = tmp_path / "lib" / "models" / "manifest.json"
    listing.write_bytes(listing.read_bytes()[:40])  # truncated
    with open_library(tmp_path / "lib") as library:
        assert "mine" not in library.manifest.models
        assert library.search_image(tmp_path / "photos" / "red.jpg", k=1)[0].path.endswith("red.jpg")
