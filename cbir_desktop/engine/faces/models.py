"""dlib's face models, loaded once per thread from the files `face-recognition-models` installs.

Only two of its four files are used: the 5-point landmark model and the ResNet descriptor
model (both CC0, Davis King). The 68-point landmark model is trained on iBUG 300-W, whose
licence forbids commercial use, and the CNN detector is too slow on a CPU: neither is loaded
nor bundled (build.spec). HOG detection is built into dlib. The package's own `__init__`
(which imports `pkg_resources`) is never run: the files are found beside it.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
USED_FILES = (LANDMARKS_FILE, DESCRIPTOR_FILE)

_local = threading.local()


class FaceModelsMissing(RuntimeError):
    """dlib or the model files are not installed."""


@dataclass(frozen=True)
class FaceModels:
    """One thread's detector, landmark predictor and descriptor network (dlib objects)."""

    detector: Any
    landmarks: Any
    descriptor: Any


def models_folder() -> Path:
    """Where `face-recognition-models` keeps its files (without importing the package)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsMissing("face-recognition-models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def thread_models() -> FaceModels:
    """This thread's models (dlib objects are not shared between threads), loaded on first use."""
    models: FaceModels | None = getattr(_local, "models", None)
    if models is None:
        try:
            import dlib
        except ImportError as exc:
            raise FaceModelsMissing(f"dlib is not installed ({exc})") from exc
        folder = models_folder()
        for name in USED_FILES:
            if not (folder / name).is_file():
                raise FaceModelsMissing(f"{folder / name} is missing")
        models = FaceModels(
            dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(folder / LANDMARKS_FILE)),
            dlib.face_recognition_model_v1(str(folder / DESCRIPTOR_FILE)),
        )
        _local.models = models
    return models
