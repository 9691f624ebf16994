"""Checking an Annoy file's structure before Annoy memory-maps it.

Annoy trusts its file: a damaged node index sends a search outside the mapping and
the process dies (exit 139, no message). An angular index is an array of nodes of
`12 + 4 * dim` bytes: `n_descendants`, two child slots (a leaf list continues into
the vector's space), then the vector. Items come first (node i is item i), inner
nodes after them, and the trees' roots last; the last node's `n_descendants` is the
item count, and every node comes after its children. Checking every inner node's
references (in range, and backwards), and every item an inner node points at
directly, is enough for each step of a search to stay inside the file and end; it
reads only inner nodes (a few thousand), so it costs milliseconds even at 100k photos.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

INT32 = np.dtype("<i4")


def check_annoy_file(path: Path, dim: int, n_items: int) -> None:
    """Raise ValueError saying what is wrong unless every reference in the file is in range."""
    node_ints = 3 + dim
    size = path.stat().st_size
    if size == 0 or size % (node_ints * 4):
        raise ValueError(f"{size} bytes is not a whole number of {node_ints * 4}-byte nodes")
    nodes = np.memmap(path, dtype=INT32, mode="r").reshape(-1, node_ints)
    n_nodes = nodes.shape[0]
    if int(nodes[-1, 0]) != n_items or not 0 < n_items < n_nodes:
        raise ValueError(f"it says {int(nodes[-1, 0])} items where {n_items} were built")
    inner = np.asarray(nodes[n_items:, :])
    counts = inner[:, 0]
    if (counts < 1).any() or (counts > n_items).any():
        raise ValueError("an inner node has an impossible number of items below it")
    leaf_size = dim + 2  # Annoy's K: items a leaf lists in the slots after n_descendants
    lists = inner[counts <= leaf_size]
    slots = np.arange(leaf_size)[None, :] < lists[:, :1]
    listed = lists[:, 1:][slots]
    if listed.size and ((listed < 0) | (listed >= n_items)).any():
        raise ValueError("a leaf lists an item that is not there")
    splits = counts > leaf_size
    position = np.arange(n_items, n_nodes)[splits]
    pairs = inner[splits][:, 1:3]
    # Annoy writes a node after both its children: a reference forward or to itself would
    # send a search round in a loop, growing its queue until memory runs out.
    if pairs.size and ((pairs < 0) | (pairs >= position[:, None])).any():
        raise ValueError("a node points outside its subtree")
    children = pairs.ravel()
    direct = np.unique(children[children < n_items])
    direct_counts = np.asarray(nodes[direct, 0])
    if direct.size and ((direct_counts < 0) | (direct_counts > 1)).any():
        raise ValueError("an item has children")
