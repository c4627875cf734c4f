"""A generic Fellegi-Sunter record linker: blocking, comparison levels, m/u, EM, explanations.

Nothing here knows about Chinese ids: fields, comparison levels and blocking keys are configured
(`dupcheck.matchers.fuzzy` holds the Chinese-person configuration, `benchmarks/bench_febrl.py` a
FEBRL one). Semantics follow Splink: ``prior`` is the probability that two records drawn at random
are a match, ``u`` the probability of a level among random pairs, ``m`` among true matches; the
match weight of a pair is ``log2(prior odds) + sum(log2(m/u))`` and its probability the logistic of
that weight. Levels of a comparison are tried in order; the first whose predicate holds is the
pair's level (``gamma_<name>``, -1 when a compared value is null, which contributes nothing).

Everything is vectorised: blocking is polars equi-joins, levels are polars expressions or
rapidfuzz batch scorers (``process.cpdist`` with ``workers=-1``) over the whole candidate frame;
EM runs on the distinct comparison vectors with their counts. Complexity: O(n + pairs) per pass.
`Linker.predict` with a threshold compares fields in ``evaluation_order`` and drops a pair as soon
as the largest weight its remaining fields could add leaves it below the threshold; pair columns
are gathered on first use, so costly comparisons only meet plausible pairs (same result as
scoring every pair).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import polars as pl
from rapidfuzz import distance, process

__all__ = [
    "BlockingRule",
    "Compared",
    "Comparison",
    "Level",
    "Linker",
    "PairData",
    "date_transposed",
    "date_within",
    "edit_within",
    "else_level",
    "exact",
    "expr_level",
    "similar",
    "tf_table",
]

Scorer = Literal["jaro_winkler", "jaro", "levenshtein", "damerau", "indel"]

_SIMILARITY: dict[str, Any] = {
    "jaro_winkler": distance.JaroWinkler.normalized_similarity,
    "jaro": distance.Jaro.normalized_similarity,
    "levenshtein": distance.Levenshtein.normalized_similarity,
    "damerau": distance.DamerauLevenshtein.normalized_similarity,
    "indel": distance.Indel.normalized_similarity,
}
_DISTANCE: dict[str, Any] = {
    "levenshtein": distance.Levenshtein.distance,
    "damerau": distance.DamerauLevenshtein.distance,
    "osa": distance.OSA.distance,
    "hamming": distance.Hamming.distance,
}

_BF_FLOOR = 1e-12


class PairData:
    """Candidate pairs with ``<col>_l``/``<col>_r`` columns and a cache of batch scores.

    ``active`` (set by `Comparison.gamma`) marks the pairs whose level is still undecided:
    batch scorers only run on those, so exact and null pairs never reach rapidfuzz. Built with
    the ``left``/``right`` tables, the frame holds the pair index (``_li``, ``_ri``) and gathers
    a column only when a level first reads it, for the pairs still present then.
    """

    def __init__(self, frame: pl.DataFrame, left: pl.DataFrame | None = None,
                 right: pl.DataFrame | None = None) -> None:
        self._frame = frame
        self._src = {"l": left, "r": right} if left is not None and right is not None else {}
        self.active: np.ndarray | None = None
        self._cache: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return self._frame.height

    @property
    def frame(self) -> pl.DataFrame:
        """Every pair column (gathering those not read yet)."""
        self._ensure([f"{c}_{side}" for side, t in self._src.items() for c in t.columns])
        return self._frame

    def _ensure(self, names: list[str]) -> None:
        """Gather the ``<col>_<side>`` columns in ``names`` that are not in the frame yet."""
        have = set(self._frame.columns)
        new = []
        for side, t in self._src.items():
            cols = [n[:-2] for n in names if n not in have and n.endswith(f"_{side}")
                    and n[:-2] in t.columns]
            if cols:
                idx = self._frame.get_column(f"_{side}i")
                new.append(t.select(pl.col(c).gather(idx).alias(f"{c}_{side}")
                                    for c in dict.fromkeys(cols)))
        if new:
            self._frame = pl.concat([self._frame, *new], how="horizontal")

    def columns(self, names: list[str]) -> pl.DataFrame:
        """The pair columns ``names`` (e.g. ``["name_l", "name_r"]``)."""
        self._ensure(names)
        return self._frame.select(names)

    def is_null(self, name: str) -> np.ndarray:
        """Whether pair column ``name`` (``<col>_l`` or ``<col>_r``) is null, without gathering it."""
        side, col = name[-1], name[:-2]
        if name in self._frame.columns or side not in self._src:
            return self._frame.get_column(name).is_null().to_numpy()
        nulls = self._src[side].get_column(col).is_null().to_numpy()
        return np.asarray(nulls[self._frame.get_column(f"_{side}i").to_numpy()], dtype=bool)

    def take(self, keep: np.ndarray) -> PairData:
        """The pairs where ``keep`` holds, with their cached scores."""
        out = PairData(self._frame.filter(pl.Series(keep)))
        out._src = self._src
        out._cache = {k: (v[keep], d[keep]) for k, (v, d) in self._cache.items()}
        return out

    def mask(self, expr: pl.Expr) -> np.ndarray:
        """Evaluate a boolean polars expression over the pairs (null counts as False)."""
        if self._frame.height == 0:
            return np.zeros(0, dtype=bool)
        if self._src:
            self._ensure(expr.meta.root_names())
        out = self._frame.select(expr.fill_null(False).alias("_m")).to_series()
        return out.to_numpy().astype(bool, copy=False)

    def _strings(self, name: str, idx: pl.Series) -> list[str]:
        """Pair column ``name`` at positions ``idx`` as strings (null as ""), for rapidfuzz."""
        side, col = name[-1], name[:-2]
        if name in self._frame.columns or side not in self._src:
            return self._frame.select(
                pl.col(name).cast(pl.String).fill_null("").gather(idx)).to_series().to_list()
        rows = self._frame.get_column(f"_{side}i").gather(idx)
        return self._src[side].select(
            pl.col(col).cast(pl.String).fill_null("").gather(rows)).to_series().to_list()

    def scores(self, col: str, scorer: str, kind: str = "similarity") -> np.ndarray:
        """rapidfuzz ``cpdist`` of column ``col`` left vs right on the active pairs (cached).

        Rows outside ``active`` hold 0 (similarity) or a large distance; null scores as "".
        """
        key = (col, scorer, kind)
        n = len(self)
        dtype = np.float32 if kind == "similarity" else np.int32
        if key not in self._cache:
            fill = 0 if kind == "similarity" else np.iinfo(np.int32).max
            self._cache[key] = (np.full(n, fill, dtype=dtype), np.zeros(n, dtype=bool))
        values, done = self._cache[key]
        want = np.ones(n, dtype=bool) if self.active is None else self.active
        need = want & ~done
        if need.any():
            fn = _SIMILARITY[scorer] if kind == "similarity" else _DISTANCE[scorer]
            idx = pl.Series(np.flatnonzero(need))
            values[need] = process.cpdist(self._strings(f"{col}_l", idx),
                                          self._strings(f"{col}_r", idx),
                                          scorer=fn, workers=-1, dtype=dtype)
            done |= need
        return values


Predicate = Callable[[PairData], np.ndarray]


@dataclass(frozen=True)
class Level:
    """One comparison level: a vectorised predicate with its m and u probabilities.

    ``tf_column`` turns on term-frequency adjustment (for exact levels): the level's u is replaced
    by the (shrunken) frequency of the left value, so agreement on a common value counts for less.
    """

    label: str
    predicate: Predicate
    m: float = 0.5
    u: float = 0.5
    tf_column: str | None = None
    fixed_m: bool = False
    fixed_u: bool = False

    @property
    def bayes_factor(self) -> float:
        """m/u, floored so that a zero u or m never makes a weight infinite."""
        return max(self.m, _BF_FLOOR) / max(self.u, _BF_FLOOR)


def exact(col: str, label: str | None = None, **kw: Any) -> Level:
    """Level: the column is equal on both sides."""
    return Level(label or f"{col} exact",
                 lambda p: p.mask(pl.col(f"{col}_l") == pl.col(f"{col}_r")), **kw)


def similar(col: str, threshold: float, scorer: Scorer = "jaro_winkler",
            label: str | None = None, **kw: Any) -> Level:
    """Level: rapidfuzz normalised similarity of the column is at least ``threshold``."""
    return Level(label or f"{col} {scorer}>={threshold:g}",
                 lambda p: p.scores(col, scorer) >= threshold, **kw)


def edit_within(col: str, k: int, metric: str = "levenshtein", label: str | None = None,
                **kw: Any) -> Level:
    """Level: edit distance (levenshtein, damerau, osa, hamming) of the column is at most ``k``."""
    return Level(label or f"{col} {metric}<={k}",
                 lambda p: p.scores(col, metric, "distance") <= k, **kw)


def date_within(col: str, days: int, label: str | None = None, **kw: Any) -> Level:
    """Level: two dates (pl.Date) are at most ``days`` apart."""
    diff = (pl.col(f"{col}_l") - pl.col(f"{col}_r")).dt.total_days().abs()
    return Level(label or f"{col} within {days}d", lambda p: p.mask(diff <= days), **kw)


def date_transposed(col: str, label: str | None = None, **kw: Any) -> Level:
    """Level: same year, day and month swapped (a classic keying error)."""
    a, b = pl.col(f"{col}_l"), pl.col(f"{col}_r")
    cond = ((a.dt.year() == b.dt.year()) & (a.dt.month() == b.dt.day())
            & (a.dt.day() == b.dt.month()))
    return Level(label or f"{col} day/month swapped", lambda p: p.mask(cond), **kw)


def expr_level(label: str, expr: pl.Expr, **kw: Any) -> Level:
    """Level from any boolean polars expression over the ``_l``/``_r`` pair columns."""
    return Level(label, lambda p: p.mask(expr), **kw)


def else_level(label: str = "else", **kw: Any) -> Level:
    """The catch-all last level."""
    return Level(label, lambda p: np.ones(len(p), dtype=bool), **kw)


@dataclass(frozen=True)
class Comparison:
    """A field compared through ordered levels; null in any of ``columns`` means "no evidence"."""

    name: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError(f"comparison {self.name!r} has no levels")

    def gamma(self, pairs: PairData) -> np.ndarray:
        """Level index per pair (first level that holds), -1 where a compared value is null."""
        n = len(pairs)
        out = np.full(n, -2, dtype=np.int8)
        if n == 0:
            return out.astype(np.int8)
        null = np.zeros(n, dtype=bool)
        for col in self.columns:
            for side in ("l", "r"):
                null |= pairs.is_null(f"{col}_{side}")
        out[null] = -1
        try:
            for i, level in enumerate(self.levels[:-1]):
                todo = out == -2
                if not todo.any():
                    break
                pairs.active = todo
                out[todo & level.predicate(pairs)] = i
        finally:
            pairs.active = None
        todo = out == -2
        if todo.any():  # the last level is the catch-all unless its predicate says otherwise
            pairs.active = todo
            try:
                last = self.levels[-1].predicate(pairs)
            finally:
                pairs.active = None
            out[todo & last] = len(self.levels) - 1
            out[out == -2] = len(self.levels) - 1
        return out


@dataclass(frozen=True)
class BlockingRule:
    """An equi-join on derived keys; rules are OR-ed and the pairs de-duplicated.

    Each key is a column name or a ``(left_expr, right_expr)`` pair of polars expressions; rows
    with a null key never pair.
    """

    name: str
    keys: tuple[str | tuple[pl.Expr, pl.Expr], ...]

    def key_exprs(self, side: int) -> list[pl.Expr]:
        """The key expressions for one side (0 left, 1 right), aliased ``_k0.._kn``."""
        out = []
        for i, k in enumerate(self.keys):
            e = pl.col(k) if isinstance(k, str) else k[side]
            out.append(e.alias(f"_k{i}"))
        return out


def tf_table(values: pl.Series, total: int | None = None) -> pl.DataFrame:
    """Value counts for term-frequency adjustment: ``_v, len, _n`` (``_n`` = all values counted).

    ``total`` overrides the denominator when ``values`` is a pre-filtered part of a column.
    """
    v = values.drop_nulls()
    n = max(v.len() if total is None else total, 1)
    return (v.alias("_v").to_frame().group_by("_v").len()
            .with_columns(pl.lit(n, dtype=pl.Int64).alias("_n")))


@dataclass(frozen=True)
class Compared:
    """Candidate pairs with their comparison vectors: reused by EM and scoring (m/u-free)."""

    frame: pl.DataFrame
    gamma: np.ndarray
    tf: dict[str, pl.DataFrame]
    n_left: int
    n_right: int


@dataclass
class Linker:
    """Fellegi-Sunter linker of a left and a right table with configured comparisons and blocking.

    ``left_id``/``right_id`` must be unique keys of their tables; ``exclude`` is an optional
    boolean expression over the pair columns for pairs that must never be scored (e.g. equal ids
    already linked exactly).
    """

    comparisons: list[Comparison]
    blocking_rules: list[BlockingRule]
    left_id: str
    right_id: str
    prior: float = 1e-4
    exclude: pl.Expr | None = None
    tf_shrinkage: float = 5.0
    extra_columns: tuple[str, ...] = field(default_factory=tuple)
    #: precomputed term-frequency tables (`tf_table`) per column, e.g. counted over a whole
    #: reference table when only a candidate subset is passed to `predict`
    tf_counts: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: comparisons (by name) that `predict` with a threshold evaluates first, the rest follow in
    #: their order: cheap and decisive ones first let it drop hopeless pairs early
    evaluation_order: tuple[str, ...] = ()

    # ---------------------------------------------------------------- blocking
    def _prepare(self, frame: pl.DataFrame, id_col: str) -> pl.DataFrame:
        """Sort by id (results must not depend on row order) and number rows."""
        return frame.sort(id_col).with_row_index("_ix")

    def _block(self, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
        parts = []
        for rank, rule in enumerate(self.blocking_rules):
            lk = left.select(pl.col("_ix").alias("_li"), *rule.key_exprs(0)).drop_nulls()
            rk = right.select(pl.col("_ix").alias("_ri"), *rule.key_exprs(1)).drop_nulls()
            keys = [f"_k{i}" for i in range(len(rule.keys))]
            # only keys present on both sides matter: a semi-join keeps the big side small
            rk = rk.join(lk.select(keys).unique(), on=keys, how="semi")
            pairs = lk.join(rk, on=keys, how="inner").select(
                "_li", "_ri", pl.lit(rank, dtype=pl.Int16).alias("_rule"))
            parts.append(pairs)
        if not parts:
            return pl.DataFrame(schema={"_li": pl.UInt32, "_ri": pl.UInt32, "_rule": pl.Int16})
        allp = pl.concat(parts)
        # one uint64 per pair; a stable unique keeps each pair's first (lowest-ranked) rule and
        # sorts by (left, right), much cheaper than a two-column group-by and sort
        li = allp.get_column("_li").cast(pl.UInt64).to_numpy()
        ri = allp.get_column("_ri").cast(pl.UInt64).to_numpy()
        code, first = np.unique((li << np.uint64(32)) | ri, return_index=True)
        return pl.DataFrame({
            "_li": (code >> np.uint64(32)).astype(np.uint32),
            "_ri": (code & np.uint64(0xFFFFFFFF)).astype(np.uint32),
            "_rule": allp.get_column("_rule").to_numpy()[first],
        })

    def _needed(self) -> list[str]:
        cols: list[str] = []
        for c in self.comparisons:
            for col in c.columns:
                if col not in cols:
                    cols.append(col)
            for lv in c.levels:
                if lv.tf_column and lv.tf_column not in cols:
                    cols.append(lv.tf_column)
        for col in self.extra_columns:
            if col not in cols:
                cols.append(col)
        return cols

    def _pair_columns(self, left: pl.DataFrame,
                      right: pl.DataFrame) -> tuple[list[str], list[str]]:
        cols = self._needed()
        lcols = [self.left_id, *[c for c in cols if c in left.columns and c != self.left_id]]
        rcols = [self.right_id, *[c for c in cols if c in right.columns and c != self.right_id]]
        return lcols, rcols

    def _pairs(self, left: pl.DataFrame, right: pl.DataFrame, idx: pl.DataFrame) -> PairData:
        """The blocked pairs not excluded, as a `PairData` that gathers columns on demand.

        Exclusion is decided on the few columns it reads; other columns are only gathered for
        the pairs still present when a comparison first reads them.
        """
        lcols, rcols = self._pair_columns(left, right)
        narrow = idx
        if self.exclude is not None and idx.height:
            roots = set(self.exclude.meta.root_names())
            narrow = self._gather(left, right, idx, [c for c in lcols if f"{c}_l" in roots],
                                  [c for c in rcols if f"{c}_r" in roots])
            keep = narrow.select(~self.exclude.fill_null(False)).to_series()
            if not keep.all():
                narrow = narrow.filter(keep)
        return PairData(narrow, left.select(lcols), right.select(rcols))

    def _pair_frame(self, left: pl.DataFrame, right: pl.DataFrame,
                    idx: pl.DataFrame) -> pl.DataFrame:
        lcols, rcols = self._pair_columns(left, right)
        if self.exclude is not None and idx.height:
            # decide exclusion on the few columns it reads, then widen only the pairs kept
            idx = self._pairs(left, right, idx).columns(["_li", "_ri", "_rule"])
        return self._gather(left, right, idx, lcols, rcols)

    @staticmethod
    def _gather(left: pl.DataFrame, right: pl.DataFrame, idx: pl.DataFrame, lcols: list[str],
                rcols: list[str]) -> pl.DataFrame:
        li, ri = idx.get_column("_li"), idx.get_column("_ri")
        lf = left.select(pl.col(c).gather(li).alias(f"{c}_l") for c in lcols)
        rf = right.select(pl.col(c).gather(ri).alias(f"{c}_r") for c in rcols)
        return pl.concat([idx, *([lf] if lcols else []), *([rf] if rcols else [])],
                         how="horizontal")

    def candidates(self, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
        """Candidate pairs from the OR-ed blocking rules: ``left_id, right_id, rule`` (first rule)."""
        lp, rp = self._prepare(left, self.left_id), self._prepare(right, self.right_id)
        pf = self._pair_frame(lp, rp, self._block(lp, rp))
        names = [r.name for r in self.blocking_rules]
        return pf.select(
            pl.col(f"{self.left_id}_l").alias("left_id"),
            pl.col(f"{self.right_id}_r").alias("right_id"),
            pl.col("_rule").replace_strict(list(range(len(names))), names,
                                           return_dtype=pl.String).alias("rule"),
        )

    # ---------------------------------------------------------------- scoring
    def _gammas(self, pairs: PairData) -> np.ndarray:
        g = np.empty((len(pairs), len(self.comparisons)), dtype=np.int8)
        for j, c in enumerate(self.comparisons):
            g[:, j] = c.gamma(pairs)
        return g

    def _tf_tables(self, left: pl.DataFrame, right: pl.DataFrame) -> dict[str, pl.DataFrame]:
        out: dict[str, pl.DataFrame] = {}
        for c in self.comparisons:
            for lv in c.levels:
                col = lv.tf_column
                if col is None or col in out:
                    continue
                if col in self.tf_counts:
                    out[col] = self.tf_counts[col]
                    continue
                vals = [f.get_column(col) for f in (left, right) if col in f.columns]
                out[col] = tf_table(pl.concat(vals))
        return out

    def _tf_u(self, pf: pl.DataFrame, col: str, u: float, table: pl.DataFrame) -> np.ndarray:
        """Shrunken per-value u: (count + s) / (n + s/u), so small tables fall back to ``u``."""
        s = self.tf_shrinkage
        joined = pf.select(pl.col(f"{col}_l").alias("_v")).join(
            table, on="_v", how="left", maintain_order="left")
        n = float(table.get_column("_n")[0]) if table.height else 1.0
        cnt = joined.get_column("len").fill_null(0).cast(pl.Float64).to_numpy()
        return np.asarray((cnt + s) / (n + s / max(u, _BF_FLOOR)), dtype=np.float64)

    def _bf(self, j: int, pf: pl.DataFrame, g: np.ndarray,
            tf: dict[str, pl.DataFrame]) -> np.ndarray:
        """Bayes factor of comparison ``j`` per pair, given its levels ``g`` (1 where null)."""
        c = self.comparisons[j]
        table = np.array([lv.bayes_factor for lv in c.levels], dtype=np.float64)
        out = np.ones(len(g), dtype=np.float64)
        ok = g >= 0
        out[ok] = table[g[ok]]
        for i, lv in enumerate(c.levels):
            if lv.tf_column is None:
                continue
            sel = g == i
            if sel.any():
                u_val = self._tf_u(pf.filter(pl.Series(sel)), lv.tf_column, lv.u,
                                   tf[lv.tf_column])
                out[sel] = max(lv.m, _BF_FLOOR) / u_val
        return out

    def _weights(self, pf: pl.DataFrame, gam: np.ndarray,
                 tf: dict[str, pl.DataFrame]) -> np.ndarray:
        bfs = np.ones(gam.shape, dtype=np.float64)
        for j in range(len(self.comparisons)):
            bfs[:, j] = self._bf(j, pf, gam[:, j], tf)
        return bfs

    def _max_bits(self, j: int, tf: dict[str, pl.DataFrame]) -> float:
        """Largest log2 Bayes factor comparison ``j`` can contribute (0 for a null value).

        A term-frequency level is bounded by its factor for an unseen value (count 0).
        """
        best = 0.0
        for lv in self.comparisons[j].levels:
            if lv.tf_column is None:
                bf = lv.bayes_factor
            else:
                s, table = self.tf_shrinkage, tf[lv.tf_column]
                if s <= 0:
                    return math.inf
                n = float(table.get_column("_n")[0]) if table.height else 1.0
                bf = max(lv.m, _BF_FLOOR) / (s / (n + s / max(lv.u, _BF_FLOOR)))
            best = max(best, math.log2(bf))
        return best

    def _order(self) -> list[int]:
        names = [c.name for c in self.comparisons]
        first = [names.index(n) for n in self.evaluation_order if n in names]
        return first + [j for j in range(len(names)) if j not in first]

    def _compare_above(self, pairs: PairData, tf: dict[str, pl.DataFrame],
                       threshold: float) -> tuple[pl.DataFrame, np.ndarray]:
        """Comparison levels of the pairs that can still reach ``threshold``.

        Comparisons run in `evaluation_order`; after each, a pair whose weight so far plus the
        largest weight its remaining non-null fields could add stays below the threshold is
        dropped, so costly comparisons only see plausible pairs. Exact: every pair that could
        reach the threshold keeps the levels (and so the score) of a full comparison.
        """
        k = len(self.comparisons)
        gam = np.full((len(pairs), k), -1, dtype=np.int8)
        prior = min(max(self.prior, 1e-300), 1 - 1e-12)
        # weight >= log2(t / (1 - t)) <=> probability >= t; a small margin absorbs rounding
        need = math.log2(threshold / (1 - threshold)) - math.log2(prior / (1 - prior)) - 1e-6
        cap = np.array([self._max_bits(j, tf) for j in range(k)], dtype=np.float64)
        nulls = np.zeros((len(pairs), k), dtype=bool)
        for j, c in enumerate(self.comparisons):
            for col in c.columns:
                for side in ("l", "r"):
                    nulls[:, j] |= pairs.is_null(f"{col}_{side}")
        known = np.zeros(len(pairs), dtype=np.float64)
        todo = self._order()
        while todo and len(pairs):
            j = todo.pop(0)
            g = self.comparisons[j].gamma(pairs)
            gam[:, j] = g
            tf_cols = [f"{lv.tf_column}_l" for lv in self.comparisons[j].levels if lv.tf_column]
            known += np.log2(self._bf(j, pairs.columns(tf_cols), g, tf))
            rest = np.where(nulls[:, todo], 0.0, cap[todo]).sum(axis=1)
            keep = known + rest >= need
            if not keep.all():
                pairs, gam, known, nulls = pairs.take(keep), gam[keep], known[keep], nulls[keep]
        return pairs.frame, gam

    def compare(self, left: pl.DataFrame, right: pl.DataFrame) -> Compared:
        """Block and compute every pair's comparison levels (independent of m/u, so reusable)."""
        lp, rp = self._prepare(left, self.left_id), self._prepare(right, self.right_id)
        pf = self._pair_frame(lp, rp, self._block(lp, rp))
        return Compared(pf, self._gammas(PairData(pf)), self._tf_tables(lp, rp),
                        lp.height, rp.height)

    def predict(self, left: pl.DataFrame, right: pl.DataFrame,
                threshold: float | None = None) -> pl.DataFrame:
        """Score all candidate pairs: ids, match weight and probability, gamma_/bf_ per comparison.

        ``threshold`` keeps pairs whose match probability is at least that; pairs that cannot
        reach it are dropped as soon as their remaining fields could not lift them (see
        `_compare_above`), with the same result as scoring every pair. Sorted by ids.
        """
        if threshold is None or not 0 < threshold < 1:
            return self.score(self.compare(left, right), threshold)
        lp, rp = self._prepare(left, self.left_id), self._prepare(right, self.right_id)
        tf = self._tf_tables(lp, rp)
        pf, gam = self._compare_above(self._pairs(lp, rp, self._block(lp, rp)), tf, threshold)
        return self.score(Compared(pf, gam, tf, lp.height, rp.height), threshold)

    def score(self, compared: Compared, threshold: float | None = None) -> pl.DataFrame:
        """Score already compared pairs with the current parameters (see ``predict``)."""
        pf, gam = compared.frame, compared.gamma
        bfs = self._weights(pf, gam, compared.tf)
        prior = min(max(self.prior, 1e-300), 1 - 1e-12)
        weight = math.log2(prior / (1 - prior)) + np.log2(bfs).sum(axis=1)
        prob = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
        cols: list[pl.Series] = [
            pf.get_column(f"{self.left_id}_l").alias("left_id"),
            pf.get_column(f"{self.right_id}_r").alias("right_id"),
            pl.Series("match_weight", weight, dtype=pl.Float64),
            pl.Series("match_probability", prob, dtype=pl.Float64),
        ]
        for j, c in enumerate(self.comparisons):
            cols.append(pl.Series(f"gamma_{c.name}", gam[:, j], dtype=pl.Int8))
            cols.append(pl.Series(f"bf_{c.name}", bfs[:, j], dtype=pl.Float64))
        for col in self.extra_columns:
            for side in ("l", "r"):
                if f"{col}_{side}" in pf.columns:
                    cols.append(pf.get_column(f"{col}_{side}"))
        out = pl.DataFrame(cols)
        if threshold is not None:
            out = out.filter(pl.col("match_probability") >= threshold)
        return out.sort("left_id", "right_id")

    # ---------------------------------------------------------------- training
    def estimate_u(self, left: pl.DataFrame, right: pl.DataFrame, n_pairs: int = 200_000,
                   seed: int = 0, min_u: float = 1e-6) -> Linker:
        """Estimate every non-fixed u from random pairs (they are almost all non-matches)."""
        lp, rp = self._prepare(left, self.left_id), self._prepare(right, self.right_id)
        if lp.height == 0 or rp.height == 0:
            return self
        rng = np.random.default_rng(seed)
        idx = pl.DataFrame({
            "_li": rng.integers(0, lp.height, n_pairs).astype(np.uint32),
            "_ri": rng.integers(0, rp.height, n_pairs).astype(np.uint32),
            "_rule": np.zeros(n_pairs, dtype=np.int16),
        })
        saved, self.exclude = self.exclude, None
        try:
            pf = self._pair_frame(lp, rp, idx)
        finally:
            self.exclude = saved
        gam = self._gammas(PairData(pf))
        new = []
        for j, c in enumerate(self.comparisons):
            g = gam[:, j]
            valid = g >= 0
            tot = max(int(valid.sum()), 1)
            levels = []
            for i, lv in enumerate(c.levels):
                if lv.fixed_u:
                    levels.append(lv)
                    continue
                u = max(float((g[valid] == i).sum()) / tot, min_u)
                levels.append(replace(lv, u=u))
            new.append(replace(c, levels=tuple(levels)))
        self.comparisons = new
        return self

    def estimate_em(self, compared: Compared, max_iter: int = 50, tol: float = 1e-6,
                    estimate_u: bool = False, update_prior: bool = True) -> Linker:
        """EM on the compared candidate pairs: m (and optionally u) of non-fixed levels, prior.

        Runs on distinct comparison vectors with counts (fast, deterministic). Inside EM the u of
        every level describes *candidate* non-matches and is re-estimated each step (blocked-on
        fields agree among candidates far more often than among random pairs, which would
        otherwise pull every candidate into the match class); afterwards the stored u are kept
        (random-pair u, as Splink) unless ``estimate_u``. With ``update_prior``, the global prior
        becomes the expected number of matches among the candidates divided by all pairs.
        """
        gam = compared.gamma
        n_pairs = compared.frame.height
        if n_pairs == 0:
            return self
        # one int64 code per comparison vector (mixed radix), so np.unique is a 1-D sort
        radix = [len(c.levels) + 1 for c in self.comparisons]
        code = np.zeros(len(gam), dtype=np.int64)
        for j, r in enumerate(radix):
            code = code * r + (gam[:, j].astype(np.int64) + 1)
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        pats = gam[first]
        w = counts.astype(np.float64)
        m = [np.array([lv.m for lv in c.levels]) for c in self.comparisons]
        u = [np.array([lv.u for lv in c.levels]) for c in self.comparisons]
        lam = 0.5 * min(1.0, (compared.n_left + compared.n_right) / 2 / n_pairs)
        for _ in range(max_iter):
            pm = np.full(len(pats), math.log(lam))
            pu = np.full(len(pats), math.log(1 - lam))
            for j in range(len(self.comparisons)):
                g = pats[:, j]
                ok = g >= 0
                pm[ok] += np.log(np.maximum(m[j][g[ok]], _BF_FLOOR))
                pu[ok] += np.log(np.maximum(u[j][g[ok]], _BF_FLOOR))
            post = 1.0 / (1.0 + np.exp(np.clip(pu - pm, -700, 700)))
            new_lam = float((post * w).sum() / w.sum())
            delta = abs(new_lam - lam)
            lam = min(max(new_lam, 1e-9), 1 - 1e-9)
            for j, c in enumerate(self.comparisons):
                g = pats[:, j]
                ok = g >= 0
                wm, wu = post[ok] * w[ok], (1 - post[ok]) * w[ok]
                nl = len(c.levels)
                new_m = np.bincount(g[ok], weights=wm, minlength=nl) / max(wm.sum(), 1e-300)
                new_u = np.bincount(g[ok], weights=wu, minlength=nl) / max(wu.sum(), 1e-300)
                for i, lv in enumerate(c.levels):
                    if not lv.fixed_m:
                        delta = max(delta, abs(new_m[i] - m[j][i]))
                        m[j][i] = max(new_m[i], 1e-6)
                    u[j][i] = max(new_u[i], 1e-9)
            if delta < tol:
                break
        self.comparisons = [
            replace(c, levels=tuple(replace(lv, m=float(m[j][i]),
                                            u=float(u[j][i] if estimate_u and not lv.fixed_u
                                                    else lv.u))
                                    for i, lv in enumerate(c.levels)))
            for j, c in enumerate(self.comparisons)
        ]
        if update_prior:
            if estimate_u:
                # u describes candidate non-matches, so the prior is the candidate-level one
                self.prior = lam
            else:
                self.prior = lam * n_pairs / (compared.n_left * compared.n_right)
        return self

    # ---------------------------------------------------------------- explanations
    def explain_pair(self, prediction_row: dict[str, Any]) -> pl.DataFrame:
        """Waterfall of one predicted pair: prior, then each comparison's level and log2 BF."""
        prior = min(max(self.prior, 1e-300), 1 - 1e-12)
        rows: list[dict[str, Any]] = [{
            "step": "prior", "level": "", "bayes_factor": prior / (1 - prior),
            "log2_bf": math.log2(prior / (1 - prior)),
        }]
        for c in self.comparisons:
            g = int(prediction_row[f"gamma_{c.name}"])
            bf = float(prediction_row[f"bf_{c.name}"])
            rows.append({"step": c.name, "level": "null" if g < 0 else c.levels[g].label,
                         "bayes_factor": bf, "log2_bf": math.log2(max(bf, _BF_FLOOR))})
        out = pl.DataFrame(rows)
        return out.with_columns(pl.col("log2_bf").cum_sum().alias("cumulative"))

    def parameters(self) -> pl.DataFrame:
        """The current m/u/Bayes factor of every level, for reports and reproducibility."""
        return pl.DataFrame([
            {"comparison": c.name, "gamma": i, "level": lv.label, "m": lv.m, "u": lv.u,
             "log2_bf": math.log2(lv.bayes_factor), "tf": lv.tf_column or ""}
            for c in self.comparisons for i, lv in enumerate(c.levels)
        ])
