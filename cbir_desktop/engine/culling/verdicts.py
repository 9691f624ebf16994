"""Pair verdicts kept between runs: the "same" level checks only the candidate pairs it has no
valid verdict for (on Caltech-101 the crop check alone took 55 s on every run).

A kept verdict holds while both photos' content and the checks (confirm.CHECK_VERSION, and
signature.SIGNATURE_VERSION, since the checks read signatures) are unchanged, and while it
was reached with what the checks are allowed now: the costly check for crops and rotations
runs only for a photo's nearest candidates (finder.py), so a pair found "the same" by it
holds only while that check is allowed, and a pair found different without it is checked
again once it is allowed. New verdicts are written `STORE_EVERY` at a time, each batch in its
own transaction, so an interruption loses little.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..storage.catalogue import Catalogue
from ..storage.culling_rows import CopyFacts
from ..storage.pair_verdicts import PairVerdict, store_verdicts
from . import confirm, signature

STORE_EVERY = 300  # verdicts per transaction
COSINE_SLACK = 1e-3  # float16 vectors at 100k photos move a pair's cosine by about this much

Check = Callable[[tuple[int, int, float], bool], str]  # (a, b, cosine), register: the verdict


def checks_version() -> int:
    """The version a verdict was reached with: the checks' and the signatures' they read."""
    return confirm.CHECK_VERSION * 1000 + signature.SIGNATURE_VERSION


def still_holds(kept: PairVerdict, facts: dict[int, CopyFacts], register: bool, cosine: float) -> bool:
    """Whether `kept` is the verdict the checks would reach now on this pair."""
    a, b = facts.get(kept.a), facts.get(kept.b)
    if a is None or b is None or kept.checks != checks_version():
        return False
    if (kept.hash_a, kept.hash_b) != (a.content_hash, b.content_hash):
        return False
    if kept.verdict == confirm.ALIGNED:  # found by the crop check: only while it is allowed
        return register and cosine >= kept.cosine - COSINE_SLACK
    if kept.verdict:  # the same pixels or perceptual hashes: whatever is allowed
        return True
    return not register or (kept.registered and cosine <= kept.cosine + COSINE_SLACK)


def reusable(pairs: Sequence[tuple[int, int, float]], register: set[tuple[int, int]],
             kept: dict[tuple[int, int], PairVerdict], facts: dict[int, CopyFacts]
             ) -> tuple[dict[tuple[int, int], str], list[tuple[int, int, float]]]:
    """The verdicts of the pairs whose kept verdict still holds, and the pairs to check."""
    verdicts: dict[tuple[int, int], str] = {}
    unsure: list[tuple[int, int, float]] = []
    for a, b, cosine in pairs:
        old = kept.get((a, b))
        if old is not None and still_holds(old, facts, (a, b) in register, cosine):
            verdicts[(a, b)] = old.verdict
        else:
            unsure.append((a, b, cosine))
    return verdicts, unsure


def check_and_keep(catalogue: Catalogue, facts: dict[int, CopyFacts], pairs: Sequence[tuple[int, int, float]],
                   register: set[tuple[int, int]], check: Check, keep: bool,
                   threads: int) -> dict[tuple[int, int], str]:
    """Each pair's verdict from `check`, `threads` at a time, stored when `keep`."""
    verdicts: dict[tuple[int, int], str] = {}
    with ThreadPoolExecutor(threads, thread_name_prefix="confirm") as pool:
        for start in range(0, len(pairs), STORE_EVERY):
            chunk = pairs[start : start + STORE_EVERY]
            found = list(pool.map(lambda pair: check(pair, (pair[0], pair[1]) in register), chunk))
            verdicts.update(((a, b), v) for (a, b, _), v in zip(chunk, found, strict=True))
            if keep:
                with catalogue.transaction("pair verdicts"):
                    store_verdicts(catalogue, _rows(chunk, found, register, facts))
    return verdicts


def _rows(pairs: Sequence[tuple[int, int, float]], found: Sequence[str], register: set[tuple[int, int]],
          facts: dict[int, CopyFacts]) -> Iterable[PairVerdict]:
    version = checks_version()
    for (a, b, cosine), verdict in zip(pairs, found, strict=True):
        yield PairVerdict(a, b, cosine, verdict, (a, b) in register, version, facts[a].content_hash,
                          facts[b].content_hash)
