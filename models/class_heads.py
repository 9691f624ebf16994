"""A model's ImageNet classifier head as a small ONNX graph, for the catalogue's stored features.

Shared by build_hierarchy.py (the shipped Lite0's `imagenet_head.onnx`) and export.py
(`<stem>_head.onnx` beside every exported ImageNet-1k model). The stored features are
unit length and the model's are not, so the weights are multiplied by the mean norm of
the model's pooled features (its "feature scale"); the text search's WordNet step and
the OCR first pass read class probabilities from these heads (engine/handles.py).
Build time only: needs `onnx` (the export extra).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def classifier_head(model: Path) -> tuple[np.ndarray, np.ndarray]:
    """The graph's last linear layer reading `features` and writing `logits`: weight
    [classes, D] and bias, from a Gemm or from a MatMul followed by an Add."""
    import onnx  # build time only (the export extra)
    from onnx import numpy_helper

    graph = onnx.load(str(model)).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    gemm = next((n for n in graph.node if n.op_type == "Gemm" and "logits" in n.output), None)
    if gemm is not None:
        weight = arrays[gemm.input[1]].astype(np.float32)
        transposed = any(a.name == "transB" and a.i for a in gemm.attribute)
        bias = arrays[gemm.input[2]] if len(gemm.input) > 2 else np.zeros(len(weight), np.float32)
        return (weight if transposed else weight.T), bias.astype(np.float32)
    add = next(n for n in graph.node if n.op_type == "Add" and "logits" in n.output)
    matmul = next(n for n in graph.node if n.op_type == "MatMul" and n.output[0] in add.input)
    if "features" not in matmul.input:
        raise ValueError(f"{model.name}: the logits are not computed from 'features' by one linear layer")
    weight = arrays[next(i for i in matmul.input if i in arrays)].astype(np.float32)  # [D, classes]
    bias = arrays[next(i for i in add.input if i in arrays)].astype(np.float32)
    return weight.T, bias


def feature_scale(features: Iterable[np.ndarray]) -> float:
    """The mean norm of a model's pooled features (rows): what unit features are scaled back by."""
    rows = np.concatenate([np.atleast_2d(np.asarray(f, np.float32)) for f in features])
    return float(np.linalg.norm(rows, axis=1).mean())


def head_graph(weight: np.ndarray, bias: np.ndarray, producer: str = "build_hierarchy") -> bytes:
    """The classifier head as ONNX: unit features [n, D] -> probabilities [n, classes]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Cast", ["weight16"], ["weight"], to=TensorProto.FLOAT),
         helper.make_node("Gemm", ["features", "weight", "bias"], ["logits"], transB=1),
         helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1)],
        "imagenet_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", weight.shape[1]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", weight.shape[0]])],
        [numpy_helper.from_array(weight.astype(np.float16), "weight16"),
         numpy_helper.from_array(bias.astype(np.float32), "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name=producer)
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
