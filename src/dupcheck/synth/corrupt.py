"""Dirty identities as real systems produce them, applied to a share of rows, kind recorded.

Id damage: legacy 15-digit form, lowercase ``x``, spaces, full-width digits, one mistyped digit,
two adjacent digits transposed (the last two always fail the MOD 11-2 check, so they can never
be another person's id; a final anti-join guarantees it). Name damage: traditional characters,
a space, a homophone. Vectorised by kind; per-value Python only over unique names.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dupcheck.synth.claims import typo_ids
from dupcheck.synth.idgen import digits_to_str
from dupcheck.synth.names import to_traditional, with_homophone, with_space
from dupcheck.synth.rates import CORRUPTION_KINDS

__all__ = ["ID_KINDS", "NAME_KINDS", "damage"]

ID_KINDS = ("legacy_id", "lowercase_x", "id_spaces", "fullwidth_id", "id_typo", "id_transposed")
NAME_KINDS = ("traditional", "name_space", "homophone")
_FULL = [chr(0xFF10 + i) for i in range(10)]


def _transpose(rng: np.random.Generator, ids: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """Swap two adjacent different digits among the first 17; returns ids and a success mask."""
    n = ids.len()
    raw = np.frombuffer("".join(ids.to_list()).encode("ascii"), dtype=np.uint8).reshape(n, 18).copy()
    ok = np.zeros(n, dtype=bool)
    pos = rng.integers(0, 16, n)
    rows = np.arange(n)
    for shift in range(16):
        p = (pos + shift) % 16
        a = raw[rows, p]
        b = raw[rows, p + 1]
        can = ~ok & (a != b)
        raw[rows[can], p[can]] = b[can]
        raw[rows[can], p[can] + 1] = a[can]
        ok |= can
    return digits_to_str(raw), ok


def damage(
    rng: np.random.Generator, frame: pl.DataFrame, share: float, weights: dict[str, float],
    kinds: tuple[str, ...] = CORRUPTION_KINDS, real_ids: pl.DataFrame | None = None,
    eligible: pl.Series | None = None,
) -> pl.DataFrame:
    """``frame`` (with ``id_number``, ``name``) with ``share`` of its rows damaged, one kind each
    drawn by ``weights`` among ``kinds``; adds ``_corruption`` (``none`` when clean)."""
    n = frame.height
    ks = [k for k in kinds if weights.get(k, 0) > 0]
    if n == 0 or not ks or share <= 0:
        return frame.with_columns(_corruption=pl.lit("none"))
    p = np.array([weights[k] for k in ks], dtype=float)
    hit = rng.random(n) < share
    if eligible is not None:
        hit &= eligible.to_numpy()
    codes = {k: i for i, k in enumerate(CORRUPTION_KINDS)}
    none = len(CORRUPTION_KINDS)
    drawn = np.asarray([codes[k] for k in ks])[rng.choice(len(ks), size=n, p=p / p.sum())]
    kind = np.where(hit, drawn, none)
    ids = frame["id_number"]
    # fallbacks where a kind does not apply to the value
    born_2000s = ids.str.slice(6, 2) == "20"
    kind = np.where((kind == codes["legacy_id"]) & born_2000s.to_numpy(), codes["id_spaces"],
                    kind)
    kind = np.where((kind == codes["lowercase_x"]) & ~ids.str.ends_with("X").to_numpy(),
                    codes["fullwidth_id"], kind)
    out_ids = ids.clone()
    out_names = frame["name"].clone()

    def sel(k: str) -> np.ndarray:
        return np.flatnonzero(kind == codes[k])

    i = sel("legacy_id")
    if i.size:
        v = ids.gather(i)
        out_ids = out_ids.scatter(i, v.str.slice(0, 6) + v.str.slice(8, 9))
    i = sel("lowercase_x")
    if i.size:
        out_ids = out_ids.scatter(i, ids.gather(i).str.to_lowercase())
    i = sel("id_spaces")
    if i.size:
        v = ids.gather(i)
        out_ids = out_ids.scatter(
            i, v.str.slice(0, 6) + " " + v.str.slice(6, 8) + " " + v.str.slice(14))
    i = sel("fullwidth_id")
    if i.size:
        out_ids = out_ids.scatter(
            i, ids.gather(i).str.replace_many([str(d) for d in range(10)], _FULL))
    i = sel("id_typo")
    if i.size:
        out_ids = out_ids.scatter(i, typo_ids(rng, ids.gather(i), tuple(range(17))))
    i = sel("id_transposed")
    if i.size:
        swapped, ok = _transpose(rng, ids.gather(i))
        out_ids = out_ids.scatter(i, swapped)
        kind[i[~ok]] = none
    names = frame["name"]
    i = sel("traditional")
    if i.size:
        v = names.gather(i)
        t = to_traditional(v)
        same = (t == v).to_numpy()
        t = pl.Series(np.where(same, with_space(v).to_numpy(), t.to_numpy()), dtype=pl.String)
        kind[i[same]] = codes["name_space"]
        out_names = out_names.scatter(i, t)
    i = sel("name_space")
    if i.size:
        out_names = out_names.scatter(i, with_space(names.gather(i)))
    i = sel("homophone")
    if i.size:
        v = names.gather(i)
        h = with_homophone(v)
        same = (h == v).to_numpy()
        h = pl.Series(np.where(same, with_space(v).to_numpy(), h.to_numpy()), dtype=pl.String)
        kind[i[same]] = codes["name_space"]
        out_names = out_names.scatter(i, h)
    labels = pl.Series([*CORRUPTION_KINDS, "none"], dtype=pl.String)
    result = frame.with_columns(
        id_number=out_ids, name=out_names, _corruption=labels.gather(kind)
    )
    if real_ids is not None:
        # never turn one person's id into another real person's id
        clash = (
            result.filter(pl.col("_corruption").is_in(ID_KINDS))
            .select(pl.col("id_number").alias("pid"))
            .join(real_ids, on="pid", how="semi")
        )
        if clash.height:
            bad = pl.col("id_number").is_in(clash["pid"].implode()) & pl.col("_corruption").is_in(
                ID_KINDS)
            result = result.with_columns(
                id_number=pl.when(bad).then(frame["id_number"]).otherwise(pl.col("id_number")),
                _corruption=pl.when(bad).then(pl.lit("none")).otherwise(pl.col("_corruption")),
            )
    return result
