"""The Qt-free engine: decoding, models, catalogue, vector index, indexing and search.

The GUI and the CLI import only `api`, `types` and `errors` from here.
"""
