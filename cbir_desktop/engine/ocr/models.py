"""RapidOCR's engines, built on the ONNX models inside its installed package (Apache-2.0):
every model is named by its file path, so RapidOCR never downloads one (it only downloads
when a model path is missing). rapidocr is imported here, when a step first reads text, so
the engine loads without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


def shipped_model(name: str) -> Path:
    """The path of one of the models RapidOCR's package ships; raises when it is not there."""
    import rapidocr

    path = Path(rapidocr.__file__).parent / "models" / name
    if not path.is_file():
        raise FileNotFoundError(f"RapidOCR's model {name} is not in {path.parent}")
    return path


def rapid_ocr(threads: int, **settings: object) -> Any:
    """A RapidOCR engine on the shipped models, on `threads` CPU threads, with `settings`
    (RapidOCR's dotted config keys) on top."""
    from rapidocr import RapidOCR

    params: dict[str, object] = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # photos of text are upright far more often than not; saves a model run
        "Det.model_path": str(shipped_model(DET_MODEL)),
        "Cls.model_path": str(shipped_model(CLS_MODEL)),
        "Rec.model_path": str(shipped_model(REC_MODEL)),
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        **settings,
    }
    return RapidOCR(params=params)
