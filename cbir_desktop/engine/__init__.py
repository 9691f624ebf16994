"""The Qt-free engine: photos, catalogue, models, vector indexes, words, learning, indexing, search.

The GUI and the CLI import only `api`, `types` and `errors` from here (README "Architecture").
"""

import os

# Nothing leaves the machine: onnxruntime's builds since 1.29 write a device id and queue
# usage events for upload from every process that loads a model, unless this is set before
# onnxruntime is first imported (its Python API switch comes too late for that).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
