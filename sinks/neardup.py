"""Near-duplicates across feeds: MinHash signatures over word shingles, LSH band keys kept in the store.

What it is for: the same wire story run by two outlets, reworded in places and wrapped in different
boilerplate, has another ``content_hash`` and escapes the exact-duplicate check. ``NearDuplicateIndex``
plugs into a sink (``SqliteSink(..., near_duplicates=NearDuplicateIndex(0.4))``, or
``open_sink(url, near_duplicate_threshold=0.4)``) and marks such an article ``duplicate_of`` the
earliest stored article whose estimated Jaccard similarity (5-word shingles of the cleaned text)
is at least ``threshold``. Nothing is deleted; the duplicate is stored like any other article.

How: each written article with enough text gets a 128-value signature (one-permutation MinHash
with optimal densification, ``signatures``: one 64-bit hash per shingle, computed in numpy for a
whole batch at once) stored in ``near_dup_signatures``, and ``BANDS`` band keys (``ROWS`` values
each, hashed to a signed 64-bit integer) stored in ``near_dup_bands`` under an index. Two
signatures agree in each value with probability equal to the texts' Jaccard similarity, as with
a 128-permutation MinHash. Finding the candidates of a batch is one indexed query on the batch's
band keys (then one for the few signatures hit), so memory stays flat however many articles the
store holds, and the index survives across runs and processes. Candidates are then checked on
the full signature against ``threshold``.

The band layout is fixed (32 bands × 3 rows = 96 of the 128 values): the stored keys must mean
the same thing on every run whatever the threshold. Probability that a pair becomes a candidate:
J=0.3: 0.58, J=0.4: 0.88, J=0.5: 0.99, J≥0.6: ≥0.999; J=0.05: 0.004. So thresholds from about
0.4 up are served well; below that, recall drops.

Steps, as the sinks call them. Before their write transaction, ``fingerprint(rows)`` hashes the
rows whose content the store does not hold yet (one read of their stored content hashes decides
which; unchanged re-fetches cost nothing), so no lock is held while hashing. Inside the
transaction (after the sink's locks): ``begin(rows, existing, db, fingerprints)`` uses those
fingerprints (hashing again only a row whose content changed in between), (PostgreSQL) takes one
advisory lock per schema so two writers cannot both decide "original" for near-duplicates they
write at the same moment, and loads the candidates; ``find(row)`` is the ``NearDuplicateFinder``
hook of ``plan_batch``; ``store(rows)`` writes signatures and bands for the rows written (a
rewritten article keeps its signature row; only the band keys that changed are replaced). The
PostgreSQL lock serialises the merge step of writers that have the index installed, as SQLite's
write lock does anyway.

Rules: only an *earlier* article can be the original (stored with an earlier ``first_seen_at``,
then ``fetched_at``, then id; or an earlier row of the same batch, in batch order), so re-writing
an article never makes it a duplicate of itself or of its own copies. Among matches the earliest
wins, whether or not it is itself marked a duplicate.

Cost (2-core VM shared with other jobs, new ~500-word articles, batches of 500): ~50 us of CPU per
new article for the signature and keys (the 128-permutation MinHash it replaced: ~500 us), plus
32 index rows; measured by bench/store_bench.py (docs/storage.md, "Benchmarks"). About 1.1 KB
of index per article; the writer's memory does not grow with the store.

Signatures made before store migration 3 (128-permutation MinHash, datasketch) mean something
else: migration 3 makes them again from the stored text, with the default 5-word shingles.

What it is not for: texts under ``MIN_SHINGLES`` shingles (a headline, an empty text after a
failed clean) are not fingerprinted; languages written without spaces (Chinese, Japanese) make
few long "words" and are rarely matched; articles written while no index was installed are not
fingerprinted afterwards (no backfill); ``duplicate_of`` is not recomputed later. Shingles are
told apart by a 64-bit hash, not compared as text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from .serialize import Existing, PreparedRow, in_chunks, parse_iso

NUM_PERM = 128  # values (bins) per signature
SEED = 1  # part of the stored signatures' meaning: never change it without a new index
BANDS, ROWS = 32, 3
MIN_SHINGLES = 10
# A band key shared by more stored articles than this is a common passage (a stock paragraph, one
# wire story carried by hundreds of feeds): its earliest owners stand for it. Band rows beyond the
# cap are not written, and lookups read at most this many per key (buckets written before the cap
# existed may hold more). Without it a lookup returns every copy, so writing grows slower as the
# store grows.
BUCKET_CAP = 16
SCHEME = "oph1"  # how signatures are made (below); named in every band key
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W+")
_GROUP_BYTES = 1 << 19  # texts hashed together: bounds the arrays (about 40 bytes per text byte)

_U = np.uint64
_MASK = (1 << 64) - 1
_EMPTY = 1 << 32  # above every 32-bit bin value: marks an empty bin
# ASCII fast path: what ``\w`` keeps (letters, digits, "_"), case-folded; every other byte a space
_ASCII_WORDS = bytes(
    (c + 32 if 65 <= c <= 90 else c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95) else 32
    for c in range(256)
)


def shingles(text: str, size: int = 5) -> set[bytes]:
    """The distinct ``size``-word shingles of ``text`` (case-folded ``\\w+`` words; the rest ignored).

    The definition ``signatures`` hashes (without building these strings); kept for tests and
    for exact Jaccard measurements.
    """
    words = _WORD.findall(text.casefold())
    return {
        " ".join(words[i : i + size]).encode("utf-8", "surrogatepass") for i in range(len(words) - size + 1)
    }


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array (wrapping arithmetic): a well-spread 64-bit hash."""
    x = x ^ (x >> _U(30))
    x = x * _U(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U(27))
    x = x * _U(0x94D049BB133111EB)
    return x ^ (x >> _U(31))  # type: ignore[no-any-return]


def _const(k: int) -> int:
    """The k-th fixed 64-bit constant of the scheme (from SEED): the same on every machine."""
    return int(_mix(np.array([(SEED << 32) + k], dtype=_U))[0])


_BASE = _const(1) | 1  # polynomial base of the word hash (odd: invertible mod 2**64)
_BASE_INV = pow(_BASE, -1, 1 << 64)
_LEN_MUL = _const(2)
_SHINGLE_SALT = _const(3)
_PROBE_SALT = _const(4)
_POSITION_MUL = np.array([_const(16 + j) | 1 for j in range(64)], dtype=_U)  # word j of a shingle
_powers_cache: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=_U), np.ones(1, dtype=_U))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE_INV**k and BASE**k (mod 2**64) for k < n; cached up to the group size."""
    global _powers_cache
    inv, fwd = _powers_cache
    if len(inv) >= n:
        return inv, fwd
    size = max(n, min(2 * len(inv), _GROUP_BYTES + 1))
    inv = np.full(size, _BASE_INV, dtype=_U)
    fwd = np.full(size, _BASE, dtype=_U)
    inv[0] = fwd[0] = 1
    np.cumprod(inv, out=inv)
    np.cumprod(fwd, out=fwd)
    if size <= _GROUP_BYTES + 1:
        _powers_cache = (inv, fwd)
    return inv, fwd


def _normalised(text: str) -> bytes:
    """``text`` as bytes in which every byte of a ``\\w+`` word (case-folded) is kept and every
    other byte is a space: word boundaries are then runs of spaces."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS)
    return _NON_WORD.sub(" ", text.casefold()).encode("utf-8", "surrogatepass")


def signatures(texts: Sequence[str], size: int = 5) -> list[np.ndarray | None]:
    """The signatures (``NUM_PERM`` uint32 values) of ``texts``, None for a text under ``MIN_SHINGLES``.

    One-permutation MinHash with optimal densification (Shrivastava, ICML 2017): each distinct
    ``size``-word shingle (as in ``shingles``) is hashed once to 64 bits; the top 7 bits pick one
    of the 128 bins and the low 32 bits compete for the bin's minimum; an empty bin borrows the
    value of the first non-empty bin on its fixed probe sequence. Two texts then agree in each bin
    with probability equal to their Jaccard similarity, like a 128-permutation MinHash, for one
    hash per shingle instead of 128. The whole batch is hashed in numpy at once: words by a
    polynomial hash over prefix sums of the bytes, a shingle by mixing its words' hashes.
    Stored signatures depend on every constant here: changing one means a new ``SCHEME``.
    """
    out: list[np.ndarray | None] = [None] * len(texts)
    group: list[tuple[int, bytes]] = []
    nbytes = 0
    for i, text in enumerate(texts):
        norm = _normalised(text)
        if len(norm) > _GROUP_BYTES:  # a very long text alone, its words hashed piece by piece
            _sign_long(i, norm, size, out)
            continue
        if group and nbytes + len(norm) > _GROUP_BYTES:
            _sign_group(group, size, out)
            group, nbytes = [], 0
        group.append((i, norm))
        nbytes += len(norm) + 1
    if group:
        _sign_group(group, size, out)
    return out


def _word_hashes(norms: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 64-bit hashes of the words of normalised texts, in one array; each text's first word
    and number of words. A word's hash depends only on its bytes."""
    buf = b" " + b" ".join(norms) + b" "
    arr = np.frombuffer(buf, dtype=np.uint8)
    # words: maximal runs of non-space bytes, [starts, ends)
    edges = np.diff((arr != 32).view(np.int8))
    starts = np.flatnonzero(edges == 1) + 1
    ends = np.flatnonzero(edges == -1) + 1
    # each text's words: text k is buf[offsets[k] : offsets[k] + len]
    lengths = np.array([len(norm) for norm in norms], dtype=np.int64)
    offsets = np.cumsum(lengths + 1) - lengths
    first = np.searchsorted(starts, offsets)
    nwords = np.searchsorted(starts, offsets + lengths) - first
    # sum of byte * BASE_INV**position over prefix sums, shifted to the word's start
    inv, fwd = _powers(len(arr) + 1)
    prefix = np.zeros(len(arr) + 1, dtype=_U)
    np.cumsum(arr.astype(_U) * inv[: len(arr)], out=prefix[1:])
    words = _mix((prefix[ends] - prefix[starts]) * fwd[starts] ^ (ends - starts).astype(_U) * _U(_LEN_MUL))
    return words, first, nwords


def _sign_group(group: list[tuple[int, bytes]], size: int, out: list[np.ndarray | None]) -> None:
    words, first, nwords = _word_hashes([norm for _, norm in group])
    _sign_words(words, first, nwords, size, [i for i, _ in group], out)


def _sign_long(i: int, norm: bytes, size: int, out: list[np.ndarray | None]) -> None:
    parts, start = [], 0
    while start < len(norm):
        end = start + _GROUP_BYTES
        if end < len(norm):
            cut = norm.rfind(b" ", start, end)
            end = cut if cut > start else end  # a word longer than a piece is cut (the same way every time)
        parts.append(_word_hashes([norm[start:end]])[0])
        start = end
    words = np.concatenate(parts)
    _sign_words(words, np.zeros(1, dtype=np.int64), np.array([len(words)]), size, [i], out)


def _sign_words(
    words: np.ndarray,
    first: np.ndarray,
    nwords: np.ndarray,
    size: int,
    where: list[int],
    out: list[np.ndarray | None],
) -> None:
    """Signatures of texts given as word hashes (text k: ``words[first[k] : first[k] + nwords[k]]``),
    into ``out[where[k]]``."""
    # shingle hash: its words' hashes, each times its position's constant
    nsh = np.maximum(nwords - size + 1, 0)
    total = int(nsh.sum())
    if total == 0:
        return
    n = len(where)
    owner = np.repeat(np.arange(n), nsh)
    begin = np.cumsum(nsh) - nsh
    at = np.arange(total) - begin[owner] + first[owner]
    sh = words[at] * _POSITION_MUL[0]
    for j in range(1, size):
        sh += words[at + j] * _POSITION_MUL[j % len(_POSITION_MUL)]
    h = _mix(sh ^ _U(_SHINGLE_SALT ^ size))
    # one permutation: bin = top 7 bits, value = low 32 bits, minimum per (text, bin)
    flat = np.full(n * NUM_PERM, _EMPTY, dtype=_U)
    np.minimum.at(flat, owner * NUM_PERM + (h >> _U(57)).astype(np.int64), h & _U(0xFFFFFFFF))
    sig = flat.reshape(n, NUM_PERM)
    filled = sig != _EMPTY
    enough = filled.sum(axis=1) >= MIN_SHINGLES  # distinct shingles >= filled bins
    for k in np.flatnonzero(~enough & (nsh >= MIN_SHINGLES)):  # few bins: count the shingles
        enough[k] = np.unique(h[begin[k] : begin[k] + nsh[k]]).size >= MIN_SHINGLES
    # optimal densification: an empty bin takes the value of the first filled bin on its probe
    # sequence (the same sequence for every text, so agreement stays as likely as the Jaccard)
    dense = sig.copy()
    rows, bins = np.nonzero(~filled & enough[:, None])
    attempt = 0
    while rows.size:
        attempt += 1
        probe = (_mix(bins.astype(_U) * _U(1 << 20) + _U((_PROBE_SALT + attempt) & _MASK)) >> _U(57)).astype(
            np.int64
        )
        hit = filled[rows, probe]
        dense[rows[hit], bins[hit]] = sig[rows[hit], probe[hit]]
        rows, bins = rows[~hit], bins[~hit]
    for k in np.flatnonzero(enough):
        out[where[k]] = dense[k].astype("<u4")


def signature(text: str, size: int = 5) -> np.ndarray | None:
    """The signature (``NUM_PERM`` uint32 values) of ``text``, or None when it is too short."""
    return signatures([text], size)[0]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def _params_salt(params: str) -> int:
    return int.from_bytes(hashlib.blake2b(params.encode(), digest_size=8).digest(), "big")


def band_key_matrix(sigs: np.ndarray, params: str) -> np.ndarray:
    """The ``BANDS`` LSH keys of each signature (rows of ``sigs``), as signed 64-bit integers.

    A key hashes its band's ``ROWS`` values with the band's number and ``params``, so keys of
    different bands, or of signatures made with other settings, never meet.
    """
    v = sigs[:, : BANDS * ROWS].astype(_U).reshape(len(sigs), BANDS, ROWS)
    key = _mix(np.arange(BANDS, dtype=_U) ^ _U(_params_salt(params)))[None, :].repeat(len(sigs), axis=0)
    for r in range(ROWS):
        key = _mix(key ^ v[:, :, r])
    return key.view(np.int64)


def band_keys(sig: np.ndarray, params: str) -> list[int]:
    """The ``BANDS`` LSH keys of one signature (see ``band_key_matrix``)."""
    return band_key_matrix(sig[None, :], params)[0].tolist()  # type: ignore[no-any-return]


@dataclass(slots=True, frozen=True)
class Fingerprint:
    """A row's signature and band keys, for the content it had when they were computed."""

    content_hash: str
    sig: np.ndarray | None
    keys: list[int] | None


@dataclass(slots=True)
class _Known:
    """An article the batch may point at: stored before, or planned earlier in this batch."""

    id: str
    sig: np.ndarray
    order: tuple[datetime, datetime, str]  # (first_seen_at, fetched_at, id): earliest wins
    in_batch: bool = False


def _order(row: PreparedRow) -> tuple[Any, ...]:
    return (parse_iso(row.values.get("first_seen_at")), parse_iso(row.values["fetched_at"]), row.id)


class NearDuplicateIndex:
    """The near-duplicate settings of a sink: ``threshold`` (estimated Jaccard) and ``shingle_words``."""

    def __init__(self, threshold: float = 0.4, shingle_words: int = 5) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], not {threshold}")
        if shingle_words < 1:
            raise ValueError(f"shingle_words must be >= 1, not {shingle_words}")
        self.threshold = threshold
        self.shingle_words = shingle_words
        # in every band key: signatures made with other settings never become candidates
        self.params = f"w{shingle_words}-{SCHEME}-p{NUM_PERM}-s{SEED}-b{BANDS}x{ROWS}"

    def __repr__(self) -> str:
        return f"NearDuplicateIndex(threshold={self.threshold}, shingle_words={self.shingle_words})"

    def fingerprint(self, rows: Sequence[PreparedRow]) -> dict[str, Fingerprint]:
        """Signatures and band keys of ``rows``, by id: pure CPU, no store access.

        The sinks call it *before* their write transaction, for the rows whose content the store
        does not hold yet, so the write lock is not held while hashing. Rows with the same
        content_hash (exact duplicates in one batch) are hashed once.
        """
        by_hash: dict[str, str] = {}
        for r in rows:
            by_hash.setdefault(r.content_hash, r.values["text"] or "")
        hashes = list(by_hash)
        sigs = signatures([by_hash[h] for h in hashes], self.shingle_words)
        present = [(i, s) for i, s in enumerate(sigs) if s is not None]
        keys = band_key_matrix(np.stack([s for _, s in present]), self.params).tolist() if present else []
        made: dict[str, Fingerprint] = {h: Fingerprint(h, None, None) for h in hashes}
        for (i, sig), k in zip(present, keys, strict=True):
            made[hashes[i]] = Fingerprint(hashes[i], sig, k)
        return {r.id: made[r.content_hash] for r in rows}

    def begin(
        self,
        rows: Sequence[PreparedRow],
        existing: Mapping[str, Existing],
        db: Any,
        fingerprints: Mapping[str, Fingerprint] | None = None,
        hash_holders: Iterable[tuple[str, str, Any, Any]] = (),
    ) -> NearDuplicateBatch:
        """Take the index's lock and load the candidates of the rows with new content, through ``db``.

        ``existing`` is what the sink read for the batch's ids (inside its transaction): a row whose
        stored content_hash is the same (unchanged, or re-cleaned flags) keeps its stored signature
        and is never a candidate for the hook, so it costs nothing here. ``fingerprints`` are those
        computed before the transaction (``fingerprint``); one made for other content than the row
        now has (the store changed in between) is not used, and missing ones are computed here.
        ``hash_holders`` is what the sink passes ``plan_batch`` (``(content_hash, id, ...)`` of the
        stored articles with one of the batch's hashes): rows it names exact copies are never
        asked about, so their candidates are not loaded (``exact_copies``).
        ``db`` is a ``SqliteIndexDb`` or ``PostgresIndexDb`` over the sink's write transaction.
        """
        batch = NearDuplicateBatch(self, db)
        fresh = [r for r in rows if (e := existing.get(r.id)) is None or e.content_hash != r.content_hash]
        batch.copies = exact_copies(rows, hash_holders)
        known = fingerprints or {}
        ready = {
            r.id: f for r in fresh if (f := known.get(r.id)) is not None and f.content_hash == r.content_hash
        }
        missing = [r for r in fresh if r.id not in ready]
        if missing:
            ready.update(self.fingerprint(missing))
        batch.load(fresh, ready)
        return batch


def exact_copies(rows: Sequence[PreparedRow], hash_holders: Iterable[tuple[str, str, Any, Any]]) -> set[str]:
    """Ids of the rows ``plan_batch`` is sure to store as exact duplicates, so never asks the
    near-duplicate hook about: an article outside the batch holds their content, or an earlier
    row of the batch carries it. (A holder that is itself in the batch may be changing its
    content: such rows are left to be asked, which costs a lookup, never a wrong answer.)"""
    batch_ids = {r.id for r in rows}
    held = {h for h, aid, *_ in hash_holders if aid not in batch_ids}
    seen: set[str] = set()
    copies = set()
    for r in rows:
        if r.content_hash in held or r.content_hash in seen:
            copies.add(r.id)
        seen.add(r.content_hash)
    return copies


@dataclass(slots=True)
class NearDuplicateBatch:
    """One write transaction's view of the index."""

    index: NearDuplicateIndex
    db: Any
    sigs: dict[str, np.ndarray | None] = field(default_factory=dict)
    keys: dict[str, list[int]] = field(default_factory=dict)
    by_key: dict[int, set[str]] = field(default_factory=dict)
    known: dict[str, _Known] = field(default_factory=dict)
    own: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # stored (sig_id, signature) by id
    shared: set[int] = field(default_factory=set)
    copies: set[str] = field(default_factory=set)  # exact copies: never looked up (exact_copies)
    # how many owners each looked-up band key had (at most BUCKET_CAP): writing a band row of one
    # of these keys needs no probe of its bucket
    held: dict[int, int] = field(default_factory=dict)

    def load(self, rows: Sequence[PreparedRow], fingerprints: Mapping[str, Fingerprint]) -> None:
        for row in rows:
            fp = fingerprints[row.id]
            self.sigs[row.id] = fp.sig
            if fp.keys is not None:
                self.keys[row.id] = fp.keys
        if not rows:
            return
        self.db.lock()
        self.own = {aid: (sig_id, blob) for sig_id, aid, blob in self.db.stored([r.id for r in rows])}
        own_ids = {sig_id: aid for aid, (sig_id, _) in self.own.items()}
        flat = np.fromiter((k for ks in self.keys.values() for k in ks), dtype=np.int64)
        keys, counts = np.unique(flat, return_counts=True)
        self.shared = set(keys[counts > 1].tolist())  # keys of two or more rows of the batch
        # An exact copy's keys are its holder's: a store where one wire story runs in hundreds of
        # feeds would otherwise look them all up again for every copy.
        wanted = np.unique(
            np.fromiter(
                (k for aid, ks in self.keys.items() if aid not in self.copies for k in ks), dtype=np.int64
            )
        )
        # A rewritten article's stored version shares most keys with its new text: such a hit
        # matters only if another row of the batch has that key too.
        stored = self.db.band_hits(wanted.tolist(), many_hits=len(self.own) * BANDS > 1000)
        self.held = dict.fromkeys(wanted.tolist(), 0)
        for k, _ in stored:
            self.held[k] += 1
        hits = [
            (k, sig_id)
            for k, sig_id in stored
            if sig_id not in own_ids or k in self.shared or k not in self.keys.get(own_ids[sig_id], ())
        ]
        if not hits:
            return
        found = {r[0]: r[1:] for r in self.db.signatures_of(sorted({sig_id for _, sig_id in hits}))}
        for key, sig_id in hits:
            if sig_id not in found:  # a band row left by an article no longer stored: ignored
                continue
            aid, sig_bytes, first_seen, fetched = found[sig_id]
            self.by_key.setdefault(key, set()).add(aid)
            if aid not in self.known:
                self.known[aid] = _Known(
                    aid,
                    np.frombuffer(bytes(sig_bytes), dtype="<u4"),
                    (parse_iso(first_seen), parse_iso(fetched), aid),  # type: ignore[arg-type]
                )

    def find(self, row: PreparedRow) -> str | None:
        """The ``NearDuplicateFinder`` hook: the earliest earlier article ``row`` nearly duplicates."""
        sig = self.sigs.get(row.id)
        me: tuple[Any, ...] | None = None
        best: _Known | None = None
        if sig is not None:
            ids = {aid for k in self.keys[row.id] if k in self.by_key for aid in self.by_key[k]}
            ids.discard(row.id)
            if ids:
                me = _order(row)
            for aid in ids:
                cand = self.known.get(aid)
                if cand is None:  # re-written in this batch with a text too short to fingerprint
                    continue
                if not cand.in_batch and me[0] is not None and not cand.order < me:  # type: ignore[index, operator]
                    continue  # not earlier: an original is never made a copy of a later article
                if similarity(sig, cand.sig) < self.index.threshold:
                    continue
                if best is None or cand.order < best.order:
                    best = cand
        # later rows of the batch may point at this one (its stored version, if any, is replaced:
        # a key still naming the id finds the new signature, which is what is compared); only
        # through keys another row of the batch has too
        was_known = self.known.pop(row.id, None) is not None
        if sig is not None:
            mine = [k for k in self.keys[row.id] if k in self.shared]
            if mine or was_known:
                self.known[row.id] = _Known(row.id, sig, me or _order(row), in_batch=True)  # type: ignore[arg-type]
            for k in mine:
                self.by_key.setdefault(k, set()).add(row.id)
        return best.id if best else None

    def store(self, rows: Iterable[PreparedRow]) -> None:
        """Write the signatures and band keys of the rows written, replacing an id's old ones.

        A rewritten article keeps its ``sig_id``; only the band keys that changed are deleted and
        inserted (a corrected article usually keeps most of them).
        """
        rows = [r for r in rows if r.id in self.sigs]  # the others keep their stored signature
        if not rows:
            return
        old = {r.id: self.own[r.id] for r in rows if r.id in self.own}  # read by load(), under the lock
        old_keys = dict(
            zip(
                [sig_id for sig_id, _ in old.values()],
                _keys_of([blob for _, blob in old.values()], self.index.params),
                strict=True,
            )
        )
        fresh: list[tuple[str, bytes, list[int]]] = []
        updates: list[tuple[int, bytes]] = []
        gone_sigs: list[int] = []
        gone_bands: list[tuple[int, int]] = []
        new_bands: list[tuple[int, int]] = []
        for r in rows:
            sig, prev = self.sigs[r.id], old.get(r.id)
            if prev is None:
                if sig is not None:
                    fresh.append((r.id, sig.tobytes(), self.keys[r.id]))
                continue
            sig_id = prev[0]
            before = old_keys[sig_id]
            if sig is None:  # the new text is too short to fingerprint
                gone_sigs.append(sig_id)
                gone_bands += [(k, sig_id) for k in before]
                continue
            after = self.keys[r.id]
            updates.append((sig_id, sig.tobytes()))
            gone_bands += [(k, sig_id) for k in set(before).difference(after)]
            new_bands += [(k, sig_id) for k in set(after).difference(before)]
        self.db.delete_bands(gone_bands)
        self.db.delete_signatures(gone_sigs)
        self.db.update_signatures(updates)
        new_bands += self.db.add(fresh)
        for k, _ in gone_bands:  # a full bucket that lost an owner: its size is no longer known
            if self.held.get(k) == BUCKET_CAP:
                del self.held[k]
            elif k in self.held:
                self.held[k] -= 1
        self.db.insert_bands(*_capped(new_bands, self.held))


def _capped(
    pairs: list[tuple[int, int]], held: Mapping[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(keys, owners, known)`` of the band rows ``pairs`` that may be written: ``known`` marks
    the rows of keys whose bucket size ``held`` knows, already cut to the ``BUCKET_CAP`` earliest
    owners (by sig_id, after those the bucket holds); the other rows the store checks itself."""
    keys = np.fromiter((k for k, _ in pairs), dtype=np.int64, count=len(pairs))
    owners = np.fromiter((s for _, s in pairs), dtype=np.int64, count=len(pairs))
    before = np.fromiter((held.get(k, -1) for k, _ in pairs), dtype=np.int64, count=len(pairs))
    order = np.lexsort((owners, keys))
    keys, owners, before = keys[order], owners[order], before[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.empty(0, np.int64)
    nth = np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)])) + 1
    known = before >= 0
    keep = ~known | (nth + before <= BUCKET_CAP)
    return keys[keep], owners[keep], known[keep]


# --- the two stores ---------------------------------------------------------------------------
# Each offers the same few statements; NearDuplicateBatch decides what to write.


def _keys_of(blobs: list[Any], params: str) -> list[list[int]]:
    """The band keys of stored signatures (blobs of ``NUM_PERM`` little-endian uint32)."""
    if not blobs:
        return []
    return band_key_matrix(  # type: ignore[no-any-return]
        np.stack([np.frombuffer(bytes(b), dtype="<u4") for b in blobs]), params
    ).tolist()


class SqliteIndexDb:
    """The index tables through one SQLite connection (inside the sink's ``BEGIN IMMEDIATE``)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def lock(self) -> None:
        """SQLite writers already hold the database's write lock."""

    def _select_in(self, sql: str, values: list[Any]) -> list[Any]:
        """Rows of ``sql`` (its ``IN ({})`` filled with placeholders) over ``values``, in chunks."""
        out: list[Any] = []
        for chunk in in_chunks(values):
            out += self.conn.execute(sql.format(", ".join("?" * len(chunk))), chunk).fetchall()
        return out

    def band_hits(self, keys: list[int], many_hits: bool = False) -> list[tuple[int, int]]:
        """``(band_key, sig_id)`` of the stored band rows with one of ``keys`` (the ``BUCKET_CAP``
        earliest owners of each key)."""
        return self._select_in(
            "SELECT band_key, sig_id FROM (SELECT band_key, sig_id, row_number() OVER "
            "(PARTITION BY band_key ORDER BY sig_id) AS nth FROM near_dup_bands "
            f"WHERE band_key IN ({{}})) WHERE nth <= {BUCKET_CAP}",
            keys,
        )

    def signatures_of(self, sig_ids: list[int]) -> list[tuple[Any, ...]]:
        """``(sig_id, article_id, signature, first_seen_at, fetched_at)`` of stored signatures."""
        return self._select_in(
            "SELECT s.sig_id, s.article_id, s.signature, a.first_seen_at, a.fetched_at "
            "FROM near_dup_signatures s JOIN articles a ON a.id = s.article_id WHERE s.sig_id IN ({})",
            sig_ids,
        )

    def stored(self, ids: list[str]) -> list[tuple[int, str, bytes]]:
        """``(sig_id, article_id, signature)`` of the ids that have one."""
        return self._select_in(
            "SELECT sig_id, article_id, signature FROM near_dup_signatures WHERE article_id IN ({})", ids
        )

    def delete_bands(self, pairs: list[tuple[int, int]]) -> None:
        self.conn.executemany("DELETE FROM near_dup_bands WHERE band_key = ? AND sig_id = ?", pairs)

    def delete_signatures(self, sig_ids: list[int]) -> None:
        self.conn.executemany("DELETE FROM near_dup_signatures WHERE sig_id = ?", [(s,) for s in sig_ids])

    def update_signatures(self, updates: list[tuple[int, bytes]]) -> None:
        self.conn.executemany(
            "UPDATE near_dup_signatures SET signature = ? WHERE sig_id = ?", [(b, s) for s, b in updates]
        )

    def insert_bands(self, keys: np.ndarray, owners: np.ndarray, known: np.ndarray) -> None:
        """Band rows, in key order (fewer page visits): the ``known`` ones as they are (already cut
        to the cap), the others only into a bucket that holds fewer than ``BUCKET_CAP`` owners."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO near_dup_bands (band_key, sig_id) VALUES (?, ?)",
            zip(keys[known].tolist(), owners[known].tolist(), strict=True),
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO near_dup_bands (band_key, sig_id) SELECT ?1, ?2 WHERE (SELECT count(*) "
            f"FROM (SELECT 1 FROM near_dup_bands WHERE band_key = ?1 LIMIT {BUCKET_CAP})) < {BUCKET_CAP}",
            zip(keys[~known].tolist(), owners[~known].tolist(), strict=True),
        )

    def add(self, fresh: list[tuple[str, bytes, list[int]]]) -> list[tuple[int, int]]:
        """Signatures of articles that have none stored; returns their band rows, to be written."""
        if not fresh:
            return []
        self.conn.executemany(
            "INSERT INTO near_dup_signatures (article_id, signature) VALUES (?, ?)",
            [(aid, blob) for aid, blob, _ in fresh],
        )
        sig_ids = {aid: sig_id for sig_id, aid, _ in self.stored([aid for aid, _, _ in fresh])}
        return [(k, sig_ids[aid]) for aid, _, ks in fresh for k in ks]


# 16,000 band keys sent as a list cost psycopg ~13 ms to adapt; packed as big-endian bytes and
# unpacked by the server, ~1 ms.
def _unpack_int8(name: str) -> str:
    return f"('x' || encode(substring(%({name})s::bytea FROM i * 8 + 1 FOR 8), 'hex'))::bit(64)::bigint"


def _packed(values: Iterable[int]) -> bytes:
    return np.fromiter(values, dtype=np.int64).astype(">i8").tobytes()


class PostgresIndexDb:
    """The index tables through one psycopg cursor (inside the sink's write transaction)."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def lock(self) -> None:
        # One lock per schema, held to commit: two writers cannot both take near-duplicates they
        # write at the same moment for originals. Taken after the sink's id/hash locks (never
        # waited for while holding it), so it cannot deadlock with them.
        self.cur.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('feedscrub:neardup:' || current_schema(), 0))"
        )

    # Band hits and their signatures are two queries, each an index search whatever the planner
    # estimates for 16,000 keys (as one join, it picked hash joins over full scans of the
    # signatures and articles).
    def band_hits(self, keys: list[int], many_hits: bool = False) -> list[tuple[int, int]]:
        """``(band_key, sig_id)`` of the stored band rows with one of ``keys``."""
        if not keys:
            return []
        # PostgreSQL rechecks each hash-index hit against the keys: against a packed array (cheap
        # to send) that is a linear search per hit, fine for new articles (few hits) but ~0.5 s
        # for a batch of rewrites (each hits its own stored keys); against a literal array it is
        # a hash lookup, for ~10 ms more of sending and parsing the keys as text.
        capped = (
            "SELECT band_key, sig_id FROM (SELECT band_key, sig_id, row_number() OVER "
            "(PARTITION BY band_key ORDER BY sig_id) AS nth FROM near_dup_bands WHERE {where}) AS hits "
            f"WHERE nth <= {BUCKET_CAP}"
        )
        if many_hits:
            literal = "{" + ",".join(str(int(k)) for k in keys) + "}"
            self.cur.execute(capped.format(where=f"band_key = ANY('{literal}'::bigint[])").encode())
        else:
            self.cur.execute(
                capped.format(
                    where="band_key = ANY(ARRAY("
                    f"SELECT {_unpack_int8('k')} FROM generate_series(0, length(%(k)s::bytea) / 8 - 1) AS i))"
                ),
                {"k": _packed(keys)},
            )
        return self.cur.fetchall()  # type: ignore[no-any-return]

    def signatures_of(self, sig_ids: list[int]) -> list[tuple[Any, ...]]:
        """``(sig_id, article_id, signature, first_seen_at, fetched_at)`` of stored signatures."""
        if not sig_ids:
            return []
        self.cur.execute(
            "SELECT s.sig_id, s.article_id, s.signature, a.first_seen_at, a.fetched_at "
            "FROM near_dup_signatures s JOIN articles a ON a.id = s.article_id WHERE s.sig_id = ANY(%s)",
            (sig_ids,),
        )
        return self.cur.fetchall()  # type: ignore[no-any-return]

    def stored(self, ids: list[str]) -> list[tuple[int, str, bytes]]:
        """``(sig_id, article_id, signature)`` of the ids that have one."""
        self.cur.execute(
            "SELECT sig_id, article_id, signature FROM near_dup_signatures WHERE article_id = ANY(%s)", (ids,)
        )
        return self.cur.fetchall()  # type: ignore[no-any-return]

    def delete_bands(self, pairs: list[tuple[int, int]]) -> None:
        if not pairs:
            return
        self.cur.execute(
            "DELETE FROM near_dup_bands b USING ("
            f"SELECT {_unpack_int8('k')} AS k, {_unpack_int8('s')} AS s "
            "FROM generate_series(0, length(%(k)s::bytea) / 8 - 1) AS i"
            ") AS d WHERE b.band_key = d.k AND b.sig_id = d.s",
            {"k": _packed(k for k, _ in pairs), "s": _packed(s for _, s in pairs)},
        )

    def delete_signatures(self, sig_ids: list[int]) -> None:
        if sig_ids:
            self.cur.execute("DELETE FROM near_dup_signatures WHERE sig_id = ANY(%s)", (sig_ids,))

    def update_signatures(self, updates: list[tuple[int, bytes]]) -> None:
        if updates:
            self.cur.execute(
                "UPDATE near_dup_signatures s SET signature = d.b "
                "FROM unnest(%s::bigint[], %s::bytea[]) AS d(i, b) WHERE s.sig_id = d.i",
                ([s for s, _ in updates], [b for _, b in updates]),
            )

    def insert_bands(self, keys: np.ndarray, owners: np.ndarray, known: np.ndarray) -> None:
        """Band rows: the ``known`` ones as they are (already cut to the cap), by binary COPY; the
        others only into a bucket that holds fewer than ``BUCKET_CAP`` owners (the rows of one
        batch for a key count after what its bucket held before, earliest first)."""
        if known.any():
            with self.cur.copy("COPY near_dup_bands (band_key, sig_id) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(_binary_copy(keys[known], owners[known]))
        if known.all():
            return
        keys, owners = keys[~known], owners[~known]
        self.cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fs_batch_bands (band_key bigint, sig_id bigint) ON COMMIT DELETE ROWS"
        )
        with self.cur.copy("COPY fs_batch_bands (band_key, sig_id) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_binary_copy(keys, owners))
        self.cur.execute(
            "INSERT INTO near_dup_bands (band_key, sig_id) SELECT band_key, sig_id FROM ("
            "SELECT band_key, sig_id, row_number() OVER (PARTITION BY band_key ORDER BY sig_id) AS nth "
            "FROM fs_batch_bands) AS b WHERE nth + (SELECT count(*) FROM (SELECT 1 FROM near_dup_bands n "
            f"WHERE n.band_key = b.band_key LIMIT {BUCKET_CAP}) AS held) <= {BUCKET_CAP}"
        )
        self.cur.execute("DELETE FROM fs_batch_bands")

    def add(self, fresh: list[tuple[str, bytes, list[int]]]) -> list[tuple[int, int]]:
        """Signatures of articles that have none stored; returns their band rows, to be written."""
        if not fresh:
            return []
        self.cur.execute(
            "INSERT INTO near_dup_signatures (article_id, signature) "
            "SELECT * FROM unnest(%s::text[], %s::bytea[]) RETURNING article_id, sig_id",
            ([a for a, _, _ in fresh], [b for _, b, _ in fresh]),
        )
        sig_ids = dict(self.cur.fetchall())
        return [(k, sig_ids[aid]) for aid, _, ks in fresh for k in ks]


_COPY_ROW = np.dtype([("n", ">i2"), ("len1", ">i4"), ("v1", ">i8"), ("len2", ">i4"), ("v2", ">i8")])


def _binary_copy(first: np.ndarray, second: np.ndarray) -> bytes:
    """COPY's binary format for rows of two bigints, built by numpy (16,000 band rows in ~1 ms)."""
    rows = np.empty(len(first), dtype=_COPY_ROW)
    rows["n"], rows["len1"], rows["v1"], rows["len2"], rows["v2"] = 2, 8, first, 8, second
    header = b"PGCOPY\n\xff\r\n\0" + bytes(8)  # signature, flags, header extension length
    return header + rows.tobytes() + b"\xff\xff"


# --- migration 3: signatures made the old way (128-permutation MinHash) are made again --------


def rebuild(db: SqliteIndexDb | PostgresIndexDb, ids: list[str], texts: Any) -> int:
    """Empty the index tables and fingerprint again, with the default settings, the articles
    ``ids`` (those that had a signature); ``texts(chunk)`` yields ``(id, text)`` for a chunk of
    ids. Returns how many articles got a signature. Used by store migration 3."""
    index = NearDuplicateIndex()
    made = 0
    for chunk in in_chunks(ids, 500):
        pairs = list(texts(chunk))
        sigs = signatures([t or "" for _, t in pairs], index.shingle_words)
        present = [(aid, s) for (aid, _), s in zip(pairs, sigs, strict=True) if s is not None]
        if not present:
            continue
        keys = band_key_matrix(np.stack([s for _, s in present]), index.params).tolist()
        bands = db.add([(aid, s.tobytes(), k) for (aid, s), k in zip(present, keys, strict=True)])
        db.insert_bands(*_capped(bands, {}))  # bucket sizes unknown here: the store checks each
        made += len(present)
    return made


def rebuild_sqlite(conn: Any) -> None:
    ids = [r[0] for r in conn.execute("SELECT article_id FROM near_dup_signatures ORDER BY sig_id")]
    conn.execute("DELETE FROM near_dup_bands")
    conn.execute("DELETE FROM near_dup_signatures")

    def texts(chunk: list[str]) -> Iterable[tuple[str, str]]:
        return conn.execute(  # type: ignore[no-any-return]
            f"SELECT id, text FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk
        ).fetchall()

    rebuild(SqliteIndexDb(conn), ids, texts)


def rebuild_postgres(conn: Any) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT article_id FROM near_dup_signatures ORDER BY sig_id")
        ids = [r[0] for r in cur.fetchall()]
        cur.execute("DELETE FROM near_dup_bands")
        cur.execute("DELETE FROM near_dup_signatures")

        def texts(chunk: list[str]) -> Iterable[tuple[str, str]]:
            cur.execute("SELECT id, text FROM articles WHERE id = ANY(%s)", (chunk,))
            return cur.fetchall()  # type: ignore[no-any-return]

        rebuild(PostgresIndexDb(cur), ids, texts)


__all__ = [
    "BANDS",
    "NUM_PERM",
    "ROWS",
    "Fingerprint",
    "NearDuplicateIndex",
    "PostgresIndexDb",
    "SqliteIndexDb",
    "band_key_matrix",
    "band_keys",
    "shingles",
    "signature",
    "signatures",
    "similarity",
]
