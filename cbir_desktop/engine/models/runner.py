"""Running ONNX models with onnxruntime: provider choice, threads, batching."""

from __future__ import annotations

import logging
import os
import platform
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelLoadError

log = logging.getLogger(__name__)

PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


def default_threads() -> int:
    """All cores for the model: decoding threads overlap with it while ORT waits on I/O."""
    return max(1, os.cpu_count() or 1)


class OnnxRunner:
    """One onnxruntime session, loaded lazily on first use under a lock.

    Thread-safe: onnxruntime's `InferenceSession.run` may be called concurrently.
    """

    def __init__(
        self,
        path: Path,
        threads: int | None = None,
        providers: Sequence[str] | None = None,
        initializers: dict[str, npt.NDArray[np.float32]] | None = None,
    ) -> None:
        self.path = Path(path)
        # Constants replaced at load time (e.g. a projection's class vectors); kept
        # referenced here because onnxruntime reads them without copying.
        self._initializers = {k: np.ascontiguousarray(v) for k, v in (initializers or {}).items()}
        self._ort_values: list[object] = []
        self.threads = threads or default_threads()
        self._wanted = tuple(providers) if providers else PREFERRED_PROVIDERS
        self._session: object | None = None
        self._lock = threading.Lock()
        self.provider_note = ""

    @property
    def session(self):  # type: ignore[no-untyped-def]  # onnxruntime ships no types
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._load()
        return self._session

    @property
    def provider(self) -> str:
        """The execution provider that actually runs this model (e.g. 'CPU' or 'CUDA')."""
        active = self.session.get_providers()
        return active[0].replace("ExecutionProvider", "") if active else "none"

    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]

    def output_shapes(self) -> dict[str, list[object]]:
        return {o.name: list(o.shape) for o in self.session.get_outputs()}

    def run(
        self, outputs: Sequence[str], feeds: dict[str, npt.NDArray[np.float32]]
    ) -> list[npt.NDArray[np.float32]]:
        """Run the model; each output comes back as a float32 array."""
        results = self.session.run(list(outputs), feeds)
        return [np.asarray(r, dtype=np.float32) for r in results]

    def _load(self) -> object:
        ort = onnxruntime()
        if not self.path.is_file():
            raise ModelLoadError(f"Model file {self.path} is missing; reinstall cbir-desktop.")
        available = set(ort.get_available_providers())
        providers = [p for p in self._wanted if p in available] or ["CPUExecutionProvider"]
        if "CUDAExecutionProvider" in providers and not nvidia_gpu_present():
            # Without a driver the CUDA provider can only fail, after logging a
            # scary error about missing libraries; don't ask for it.
            providers.remove("CUDAExecutionProvider")
            self.provider_note = "no NVIDIA GPU found; using the CPU"
        if "CUDAExecutionProvider" in providers:
            _preload_cuda_libraries(ort)
        options = ort.SessionOptions()
        # Intra-op threads use the cores; inter-op parallelism buys nothing for
        # these sequential CNN graphs and only adds thread contention.
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        for name, value in self._initializers.items():
            ort_value = ort.OrtValue.ortvalue_from_numpy(value)
            self._ort_values.append(ort_value)
            options.add_initializer(name, ort_value)
        try:
            session = ort.InferenceSession(str(self.path), options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - ORT raises bare RuntimeErrors
            if providers != ["CPUExecutionProvider"]:
                log.warning("GPU session for %s failed (%s); using the CPU", self.path.name, exc)
                self.provider_note = f"GPU unavailable: {str(exc).splitlines()[0][:200]}"
                try:
                    return ort.InferenceSession(
                        str(self.path), options, providers=["CPUExecutionProvider"]
                    )
                except Exception as cpu_exc:  # noqa: BLE001 - the CPU retry failing too is reported below
                    exc = cpu_exc
            raise ModelLoadError(f"Cannot load model {self.path.name}: {exc}") from exc
        active = session.get_providers()
        if "CUDAExecutionProvider" in providers and "CUDAExecutionProvider" not in active:
            # ORT falls back to the CPU when the CUDA/cuDNN libraries are missing.
            self.provider_note = (
                "GPU found but CUDA could not start (CUDA 13 / cuDNN 9 libraries missing? "
                "`pip install cbir-desktop[cuda]` brings them); using the CPU"
            )
        log.info("Model %s runs on %s", self.path.name, active)
        return session


def onnxruntime() -> Any:
    """onnxruntime, imported on first use (heavy), with its telemetry off (see `engine/__init__`;
    the API switch below also covers Windows' event tracing) before any session exists."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    ort.disable_telemetry_events()
    return ort


def nvidia_gpu_present() -> bool:
    """Cheap check for an NVIDIA driver, so CPU-only machines never try CUDA."""
    system = platform.system()  # not sys.platform: mypy would call the other branches unreachable
    if system == "Linux":
        return os.path.exists("/proc/driver/nvidia/version")
    return system == "Windows"  # no cheap check there: let onnxruntime try


def _preload_cuda_libraries(ort: object) -> None:
    """Load CUDA/cuDNN from NVIDIA's pip wheels when present (onnxruntime >= 1.21)."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload()
        except Exception as exc:  # noqa: BLE001 - the session start will report it
            log.info("preloading CUDA libraries failed: %s", exc)
