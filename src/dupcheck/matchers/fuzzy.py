"""Fuzzy person linkage of claims to reference records (Chinese ids and names).

The generic Fellegi-Sunter linker (`dupcheck.matchers.linker`) configured for Chinese persons:

* blocking (OR-ed equi-joins): name pinyin + birth date (from the id, or as entered on the claim);
  name pinyin + the id's region and two-digit birth year; name pinyin + the id's last four
  characters; the id's first 14 characters (region + birth date); the id's characters 7-18. A single substitution or an
  adjacent transposition leaves at least one of these keys intact, so mistyped and transposed ids
  are found whatever digit was hit, without 17 masked keys per id.
* comparisons: name (exact after normalisation, term-frequency adjusted; same pinyin with
  heteronym surnames; one character edit; close pinyin), birth date (exact; one digit or day/month
  swapped; same year), id (legacy form equal; one substitution; adjacent transposition; two edits;
  "both valid and different" is a namesake and a strong negative; an invalid id that is malformed
  or a few digits off is neutral-ish, one five or more digits away counts against),
  region, phone, gender.
* parameters are fixed (deterministic, no training): u for random pairs of a province-sized
  population, m from the corruption rates of registry data, prior ~ one match per 30M pairs. They
  are calibrated so that a typo or transposed id with the same name and birth date scores >= 0.9,
  an invalid id with the same name, birth date and region >= 0.6, and a namesake (another valid
  id) below 0.6 (see the tests).

Pairs with equal ``pid`` are exact links (`dupcheck.matchers.exact`) and are not scored here; pairs
of two different valid ids are namesakes and are pruned before scoring unless asked for.

Explanations (`describe_contributions`), for an exact link, the golden fuzzy link C11 (claim id
``...0130`` with a wrong check digit, record ``...0131``, both 郑凯) and a rejected namesake (宋小宝,
same birth date and region, another valid id)::

    exact link: the same normalised id (score 1.00)

    prior            -25.00 bits
    name   name exact                    +11.62 bits  (running -13.38)
    birth  birth exact                   +14.00 bits  (running +0.62)
    id     id one digit                  +12.29 bits  (running +12.91)
    region region exact                   +4.91 bits  (running +17.82)
    phone  missing, not compared          +0.00 bits  (running +17.82)
    gender missing, not compared          +0.00 bits  (running +17.82)
    match weight +17.82 bits -> score 1.000

    prior            -25.00 bits
    name   name exact                    +11.62 bits  (running -13.38)
    birth  birth exact                   +14.00 bits  (running +0.62)
    id     id another valid id           -15.98 bits  (running -15.36)
    region region exact                   +4.91 bits  (running -10.45)
    phone  missing, not compared          +0.00 bits  (running -10.45)
    gender gender same                    +0.96 bits  (running -9.49)
    match weight -9.49 bits -> score 0.001
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from dupcheck.matchers.linker import (
    BlockingRule,
    Comparison,
    Level,
    Linker,
    PairData,
    edit_within,
    else_level,
    exact,
    expr_level,
    similar,
    tf_table,
)
from dupcheck.policy import MatchPolicy

__all__ = [
    "COMPARISON_NAMES",
    "FUZZY_SCHEMA",
    "NAME_LEVELS",
    "CandidateFilter",
    "NameTotals",
    "chinese_person_linker",
    "describe_contributions",
    "fuzzy_links",
    "prepare_claims",
    "prepare_records",
]

#: Comparisons of the Chinese-person linker, in waterfall order.
COMPARISON_NAMES = ("name", "birth", "id", "region", "phone", "gender")

#: Output of `fuzzy_links`.
FUZZY_SCHEMA: dict[str, pl.DataType] = {
    "claim_id": pl.String(),
    "source": pl.String(),
    "_row": pl.Int64(),
    "score": pl.Float64(),
    "contributions": pl.String(),
}

#: Prior probability that a random (claim, record) pair is a match: log2 odds of about -25.
PRIOR = 2.0 ** -25

_ID18 = r"^\d{17}[\dX]$"


def _col(name: str, side: str) -> pl.Expr:
    return pl.col(f"{name}_{side}")


def _digits(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.replace_all(r"\D", "")


def _id_birth_any(pid: pl.Expr) -> pl.Expr:
    """Birth date in characters 7-14 of an 18-character id, also for an invalid id."""
    return (pl.when(pid.str.contains(_ID18)).then(pid.str.slice(6, 8))
            .str.strptime(pl.Date, "%Y%m%d", strict=False))


def _region_yy(pid: pl.Expr) -> pl.Expr:
    """Region code and two-digit birth year of an 18-character id (``37052287`` ...)."""
    return pid.str.slice(0, 6) + pid.str.slice(8, 2)


def _legacy(pid: pl.Expr) -> pl.Expr:
    return pl.when(pid.str.contains(_ID18)).then(
        pl.concat_str([pid.str.slice(0, 6), pid.str.slice(8, 9)]))


def _opt(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype)


def prepare_claims(claims: pl.DataFrame) -> pl.DataFrame:
    """Claims reduced to the linker's columns (``key`` = claim_id)."""
    pid = pl.col("pid")
    id_birth = pl.coalesce(_opt(claims, "id_birth", pl.Date()), _id_birth_any(pid))
    entered = _opt(claims, "birth_date", pl.Date())
    valid = _opt(claims, "id_valid", pl.Boolean()).fill_null(False)
    return claims.select(
        pl.col("claim_id").cast(pl.String).alias("key"),
        pid,
        valid.alias("valid"),
        _legacy(pid).alias("legacy"),
        _opt(claims, "id_legacy", pl.Boolean()).fill_null(False).alias("legacy_raw"),
        # trust a valid id's date first, then the entered one, then whatever the id says
        pl.when(valid).then(id_birth).otherwise(pl.coalesce(entered, id_birth)).alias("birth"),
        pl.when(valid).then(entered).otherwise(id_birth).alias("birth2"),
        pl.col("name_norm"),
        pl.col("name_py"),
        _opt(claims, "region_code", pl.String()).alias("region"),
        _digits(_opt(claims, "phone", pl.String())).alias("phone"),
        pl.coalesce(_opt(claims, "gender", pl.String()),
                    pl.when(valid).then(_opt(claims, "id_gender", pl.String()))).alias("gender"),
    )


def prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    """Reference rows reduced to the linker's columns (``key`` = row number, internal only)."""
    pid = pl.col("pid")
    rec = records
    return rec.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("key"),
        pl.col("source").cast(pl.String),
        pl.col("_row").cast(pl.Int64),
        pid,
        _opt(rec, "id_valid", pl.Boolean()).fill_null(False).alias("valid"),
        _legacy(pid).alias("legacy"),
        _opt(rec, "id_legacy", pl.Boolean()).fill_null(False).alias("legacy_raw"),
        pl.coalesce(_opt(rec, "id_birth", pl.Date()), _id_birth_any(pid)).alias("birth"),
        pl.lit(None, dtype=pl.Date).alias("birth2"),
        pl.col("name_norm"),
        pl.col("name_py"),
        _opt(rec, "region_code", pl.String()).alias("region"),
        _digits(_opt(rec, "phone", pl.String())).alias("phone"),
        _opt(rec, "id_gender", pl.String()).alias("gender"),
    )


# ------------------------------------------------------------------ comparison levels
def _same_pinyin(p: PairData) -> np.ndarray:
    """Same toneless pinyin, or any shared reading of a heteronym surname (曾 zeng/ceng ...)."""
    from dupcheck.normalize.names import name_pinyin_readings

    f = p.columns(["name_norm_l", "name_norm_r", "name_py_l", "name_py_r"])
    base = p.mask(_col("name_py", "l") == _col("name_py", "r"))
    names = pl.concat([f.get_column("name_norm_l"), f.get_column("name_norm_r")]).unique()
    hetero = names.filter(names.str.contains(_HETERONYM_RE))
    if hetero.len() == 0:
        return base
    readings = pl.DataFrame({
        "n": hetero, "keys": name_pinyin_readings(hetero, normalized=True)})
    tagged = f.select(
        pl.int_range(pl.len()).alias("_i"),
        pl.col("name_norm_l"), pl.col("name_norm_r"), pl.col("name_py_l"), pl.col("name_py_r"))
    left = (tagged.join(readings, left_on="name_norm_l", right_on="n", how="left")
            .with_columns(pl.coalesce(pl.col("keys"), pl.concat_list(pl.col("name_py_l")))
                          .alias("kl")).select("_i", "kl", "name_norm_r", "name_py_r"))
    both = (left.join(readings, left_on="name_norm_r", right_on="n", how="left")
            .with_columns(pl.coalesce(pl.col("keys"), pl.concat_list(pl.col("name_py_r")))
                          .alias("kr")).sort("_i"))
    shared = both.select(
        (pl.col("kl").list.set_intersection(pl.col("kr")).list.len() > 0).fill_null(False)
    ).to_series().to_numpy()
    return np.asarray(base | shared, dtype=bool)


def _heteronym_chars() -> str:
    from dupcheck.normalize.names import SURNAME_READINGS

    return "".join(sorted({k[0] for k in SURNAME_READINGS}))


_HETERONYM_RE = f"^[{_heteronym_chars()}]"


def _birth_levels() -> tuple[Level, ...]:
    b, b2, r = _col("birth", "l"), _col("birth2", "l"), _col("birth", "r")
    same = (b == r) | (b2 == r)
    swap = ((r.dt.year() == b.dt.year()) & (r.dt.month() == b.dt.day())
            & (r.dt.day() == b.dt.month()))
    return (
        expr_level("birth exact", same, m=0.9, u=5.5e-5, fixed_m=True, fixed_u=True),
        expr_level("birth day/month swapped", swap, m=0.02, u=4e-5, fixed_m=True, fixed_u=True),
        edit_within("birth_s", 1, metric="damerau", label="birth one digit",
                    m=0.03, u=1e-3, fixed_m=True, fixed_u=True),
        expr_level("birth same year", b.dt.year() == r.dt.year(), m=0.02, u=0.03),
        else_level("birth different", m=0.03, u=0.97),
    )


def _one_substitution(p: PairData) -> np.ndarray:
    """Ids at most one substitution apart (Hamming <= 1).

    Hamming <= 1 implies OSA <= 1, and the OSA distances are needed by the next levels anyway,
    so Hamming is only computed where OSA <= 1: one pass over the pairs instead of two.
    """
    close = p.scores("pid", "osa", "distance") <= 1
    saved = p.active
    p.active = close if saved is None else saved & close
    try:
        near = p.scores("pid", "hamming", "distance") <= 1
    finally:
        p.active = saved
    return np.asarray(close & near, dtype=bool)


def _id_levels() -> tuple[Level, ...]:
    a, b = _col("pid", "l"), _col("pid", "r")
    both_valid = _col("valid", "l") & _col("valid", "r")
    return (
        expr_level("id exact", a == b, m=0.85, u=1e-8),
        # a 15-digit number on one side whose other digits agree (century or check differs)
        expr_level("id legacy form equal",
                   (_col("legacy", "l") == _col("legacy", "r"))
                   & (_col("legacy_raw", "l") | _col("legacy_raw", "r")), m=0.02, u=1e-7),
        Level("id one digit", _one_substitution, m=0.05, u=1e-5),
        edit_within("pid", 1, metric="osa", label="id adjacent transposition", m=0.02,
                    u=4e-6),
        expr_level("id another valid id", both_valid, m=1.5e-5, u=0.97),
        # Two edits is what two people born on one day in one county look like (sequence digit and
        # check character differ), so it is no evidence either way.
        edit_within("pid", 2, metric="osa", label="id two edits", m=0.02, u=0.02),
        # One side is a valid number and the other, well-formed but invalid, is not a typo of it
        # (more than two edits away): it is somebody else's damaged number, as a namesake's
        # would be. A malformed number (wrong length, letters) is garbage and stays neutral.
        expr_level("id valid vs distant invalid",
                   (_col("valid", "l") != _col("valid", "r"))
                   & (a.str.len_chars() == 18) & (b.str.len_chars() == 18), m=1.5e-5, u=0.9),
        expr_level("id invalid, malformed",
                   (a.str.len_chars() != 18) | (b.str.len_chars() != 18), m=0.01, u=0.02),
        edit_within("pid", 4, metric="hamming", label="id invalid, few digits differ",
                    m=0.01, u=0.02),
        # two well-formed ids apart in five or more places: another person's number
        else_level("id invalid, far apart", m=0.004, u=0.064),
    )


#: Name-comparison levels that can be switched off (to measure what each adds): exact characters
#: after normalisation, term-frequency weighting of that level, same pinyin (heteronym aware),
#: one character edit, close pinyin (Jaro-Winkler >= 0.9).
NAME_LEVELS = ("exact", "tf", "pinyin", "edit", "close")


def _name_levels(enabled: Collection[str]) -> tuple[Level, ...]:
    levels: list[Level] = []
    if "exact" in enabled:
        levels.append(exact("name_norm", label="name exact", m=0.88, u=2e-4,
                            tf_column="name_norm" if "tf" in enabled else None))
    if "pinyin" in enabled:
        levels.append(Level("name same pinyin", _same_pinyin, m=0.06, u=1e-3))
    if "edit" in enabled:
        levels.append(edit_within("name_norm", 1, label="name one character", m=0.03, u=4e-3))
    if "close" in enabled:
        levels.append(similar("name_py", 0.9, label="name close pinyin", m=0.01, u=5e-3))
    levels.append(else_level("name different", m=0.005, u=0.99))
    return tuple(levels)


def chinese_person_linker(prune_valid_pairs: bool = True,
                          name_levels: Collection[str] = NAME_LEVELS) -> Linker:
    """The fixed-parameter linker used by screening (frames from `prepare_*`).

    ``name_levels`` switches name-comparison levels off for ablation (see `NAME_LEVELS`).
    """
    comps = [
        Comparison("name", ("name_norm",), _name_levels(name_levels)),
        Comparison("birth", ("birth_s",), _birth_levels()),
        Comparison("id", ("pid",), _id_levels()),
        Comparison("region", ("region",), (
            exact("region", label="region exact", m=0.6, u=0.02),
            expr_level("region same city",
                       _col("region", "l").str.slice(0, 4) == _col("region", "r").str.slice(0, 4),
                       m=0.2, u=0.08),
            else_level("region different", m=0.2, u=0.9),
        )),
        Comparison("phone", ("phone",), (
            exact("phone", label="phone exact", m=0.6, u=1e-4),
            else_level("phone different", m=0.4, u=1.0),
        )),
        Comparison("gender", ("gender",), (
            exact("gender", label="gender same", m=0.97, u=0.5),
            else_level("gender different", m=0.03, u=0.5),
        )),
    ]
    pid = pl.col("pid")
    rules = [
        BlockingRule("pinyin+birth", ("name_py", "birth")),
        BlockingRule("pinyin+birth2", ("name_py", (pl.col("birth2"), pl.col("birth")))),
        # region + two-digit birth year, not region alone: a county holds thousands of
        # namesakes at national scale, and pairs grew with the square of the data; the
        # two-digit year keeps legacy ids upgraded with the other century (18xx) together
        BlockingRule("pinyin+id region+yy", ("name_py", (_region_yy(pid), _region_yy(pid)))),
        BlockingRule("pinyin+id tail", ("name_py", (pid.str.slice(14, 4), pid.str.slice(14, 4)))),
        BlockingRule("id region+birth", ((pid.str.slice(0, 14), pid.str.slice(0, 14)),)),
        BlockingRule("id birth+tail", ((pid.str.slice(6, 12), pid.str.slice(6, 12)),)),
    ]
    exclude = _col("pid", "l") == _col("pid", "r")
    if prune_valid_pairs:
        # two valid ids never differ by one digit or a transposition: a namesake, unless the
        # 15-digit form was upgraded with another century (sequences 996-999 become 18xx)
        same_legacy = ((_col("legacy", "l") == _col("legacy", "r"))
                       & (_col("legacy_raw", "l") | _col("legacy_raw", "r"))).fill_null(False)
        exclude = exclude | (_col("valid", "l") & _col("valid", "r") & ~same_legacy)
    return Linker(comparisons=comps, blocking_rules=rules, left_id="key", right_id="key",
                  prior=PRIOR, exclude=exclude, tf_shrinkage=5.0,
                  extra_columns=("name_py", "birth", "birth2", "valid", "legacy", "legacy_raw"),
                  # the id first: most candidates carry another person's number, a strong
                  # negative, so the other fields (the name dearest) only meet plausible pairs
                  evaluation_order=("id", "birth", "gender", "region", "phone", "name"))


def _with_birth_s(frame: pl.DataFrame) -> pl.DataFrame:
    """``birth_s``: the birth date as YYYYMMDD, or the id's raw digits when they are no date
    (a typo such as month 13 still compares one digit away)."""
    raw = (pl.when(pl.col("pid").str.contains(_ID18)).then(pl.col("pid").str.slice(6, 8)))
    return frame.with_columns(
        pl.coalesce(pl.col("birth").dt.strftime("%Y%m%d"), raw).alias("birth_s"))


def _doubtful(valid: pl.Expr, legacy_raw: pl.Expr) -> pl.Expr:
    """An identity exact matching cannot settle: invalid id, or written in the 15-digit form."""
    return ~valid.fill_null(False) | legacy_raw.fill_null(False)


def _candidate_groups(left: pl.DataFrame, records: pl.DataFrame, rules: list[BlockingRule],
                      prune_valid_pairs: bool) -> list[tuple[pl.DataFrame, pl.Series]]:
    """Claims in groups, each with the row numbers of ``records`` sharing a blocking key.

    With pruning, claims with a doubtful id meet every row and claims with a valid id only rows
    with a doubtful id (two valid, different ids are namesakes). The big table is first cut, in
    one pass, to rows whose name or birth date occurs among the group's claims (or whose id has
    no date); the blocking keys are then derived on that cut only.
    """
    birth = (pl.col("id_birth").cast(pl.Date) if "id_birth" in records.columns
             else _id_birth_any(pl.col("pid")))
    rk = records.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_ri"), pl.col("pid"), pl.col("name_py"),
        birth.alias("birth"), pl.lit(None, dtype=pl.Date).alias("birth2"),
        _doubtful(_opt(records, "id_valid", pl.Boolean()),
                  _opt(records, "id_legacy", pl.Boolean())).alias("_doubt"),
    )
    doubt = _doubtful(pl.col("valid"), pl.col("legacy_raw"))
    if prune_valid_pairs:
        groups = [(left.filter(doubt), None), (left.filter(~doubt), pl.col("_doubt"))]
    else:
        groups = [(left, None)]
    out = []
    for lf, only in groups:
        if lf.height == 0:
            continue
        by_name = by_other = rk.filter(only) if only is not None else rk
        if only is None:
            # a rule keyed on the name only meets rows with a claim's name; any other rule,
            # rows with a claim's name, birth date, or an id without a date
            names = lf.get_column("name_py").drop_nulls().unique().implode()
            births = pl.concat([lf.get_column("birth"), lf.get_column("birth2"),
                                lf.select(_id_birth_any(pl.col("pid"))).to_series()])
            births = births.drop_nulls().unique().implode()
            named = rk.select(pl.col("name_py").is_in(names).fill_null(False)).to_series()
            by_name = rk.filter(named)
            by_other = pl.concat([by_name, rk.filter(
                ~named & (pl.col("birth").is_in(births) | pl.col("birth").is_null()))])
        parts = []
        for rule in rules:
            keys = [f"_k{i}" for i in range(len(rule.keys))]
            lk = lf.lazy().select(rule.key_exprs(0)).drop_nulls().unique()
            rf = by_name if "name_py" in rule.keys else by_other
            parts.append(rf.lazy().select("_ri", *rule.key_exprs(1)).drop_nulls()
                         .join(lk, on=keys, how="semi").select("_ri"))
        rows = pl.concat(parts).unique().sort("_ri").collect().get_column("_ri")
        if rows.len():
            out.append((lf, rows))
    return out


class CandidateFilter:
    """Which reference rows the evidence of ``claims`` can ever use, decided block by block.

    A row is needed when its id equals a claim's (exact links), when its own id is doubtful
    (valid claims are compared with those), or when it shares a key of any blocking rule with a
    doubtful claim. :func:`build_evidence` on the rows this keeps, with the whole table's
    :class:`NameTotals`, gives the links it gives on the whole table (pruning of valid pairs on,
    as ``build_evidence`` runs it). Streaming screening uses it to keep a few percent of rows.
    """

    def __init__(self, claims: pl.DataFrame) -> None:
        left = _with_birth_s(prepare_claims(claims))
        doubt = left.filter(_doubtful(pl.col("valid"), pl.col("legacy_raw")))
        self.pids = claims.get_column("pid").drop_nulls().unique().implode()
        self.rules = [
            (rule, doubt.lazy().select(rule.key_exprs(0)).drop_nulls().unique().collect())
            for rule in chinese_person_linker(True).blocking_rules
        ] if doubt.height else []

    def __call__(self, records: pl.DataFrame) -> pl.Series:
        """True for each row of ``records`` (``pid, id_valid, id_legacy, id_birth, name_py``)
        that some link could use."""
        rk = records.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_ri"), pl.col("pid"),
            pl.col("name_py"), pl.col("id_birth").cast(pl.Date).alias("birth"),
            pl.lit(None, dtype=pl.Date).alias("birth2"),
            (pl.col("pid").is_in(self.pids).fill_null(False)
             | _doubtful(pl.col("id_valid"), pl.col("id_legacy"))).alias("_keep"),
        )
        keep = rk.get_column("_keep").to_numpy().copy()
        for rule, keys in self.rules:
            hit = (rk.lazy().select("_ri", *rule.key_exprs(1)).drop_nulls()
                   .join(keys.lazy(), on=list(keys.columns), how="semi")
                   .select("_ri").collect().get_column("_ri").to_numpy())
            keep[hit] = True
        return pl.Series("keep", keep)


@dataclass
class NameTotals:
    """Counts of every ``name_norm`` over a whole reference table and the number of rows with a
    name, gathered block by block when the table is never held whole (streaming screening)."""

    counts: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"_v": pl.String, "len": pl.UInt32}))
    rows: int = 0

    def add(self, names: pl.Series) -> None:
        """Count one block's names in."""
        block = tf_table(names).select("_v", "len")
        self.counts = (pl.concat([self.counts, block]).group_by("_v")
                       .agg(pl.col("len").sum().cast(pl.UInt32)))
        self.rows += names.len() - names.null_count()


def _name_counts(records: pl.DataFrame, left: pl.DataFrame, names: pl.Series,
                 sample_rows: int = 1_000_000, totals: NameTotals | None = None) -> pl.DataFrame:
    """Frequencies of ``names`` over claims and the whole reference table.

    Past ``sample_rows`` matching rows, rows are counted on a hash sample of their ids (fixed
    seed: the same for any row order) and scaled up; shrinkage absorbs the sampling noise. With
    ``totals`` (counts of the whole table gathered elsewhere) the counts are exact.
    """
    if totals is not None:
        total = totals.rows + left.height
        counts = totals.counts.filter(pl.col("_v").is_in(names.implode()))
        return _with_claim_counts(counts, left, total)
    rec = records.select("name_norm", "pid").filter(pl.col("name_norm").is_in(names.implode()))
    total = records.height - records.get_column("name_norm").null_count() + left.height
    k = max(1, math.ceil(rec.height / sample_rows))
    if k > 1:
        rec = rec.filter(pl.col("pid").hash(seed=7) % k == 0)
    counts = tf_table(rec.get_column("name_norm"), total=total)
    counts = counts.with_columns(pl.col("len") * k)
    return _with_claim_counts(counts, left, total)


def _with_claim_counts(counts: pl.DataFrame, left: pl.DataFrame, total: int) -> pl.DataFrame:
    """Record counts plus the claims' own names, over ``total`` values."""
    claim_counts = tf_table(left.get_column("name_norm"))
    return (pl.concat([counts.select("_v", "len"), claim_counts.select("_v", "len")])
            .group_by("_v").agg(pl.col("len").sum())
            .with_columns(pl.lit(max(total, 1), dtype=pl.Int64).alias("_n")))


def _format(pred: pl.DataFrame, linker: Linker) -> pl.DataFrame:
    """Linker predictions as links (``claim_id, key, score, contributions``, ``key`` being the
    record's) with a JSON waterfall of contributions."""
    prior_bits = math.log2(linker.prior / (1 - linker.prior))
    parts: list[pl.Expr] = [pl.lit(f'{{"prior":{prior_bits:.2f}')]
    for c in linker.comparisons:
        labels = [lv.label for lv in c.levels]
        level = (pl.col(f"gamma_{c.name}").cast(pl.Int32)
                 .replace_strict(list(range(-1, len(labels))), ["null", *labels],
                                 return_dtype=pl.String))
        bits = pl.col(f"bf_{c.name}").log(2).round(2).cast(pl.String)
        parts += [pl.lit(f',"{c.name}":{{"level":"'), level, pl.lit('","log2_bf":'), bits,
                  pl.lit("}")]
    parts.append(pl.lit("}"))
    return pred.select(
        pl.col("left_id").alias("claim_id"),
        pl.col("right_id").alias("key"),
        pl.col("match_probability").alias("score"),
        pl.concat_str(parts).alias("contributions"),
    )


def fuzzy_links(claims: pl.DataFrame, records: pl.DataFrame,
                policy: MatchPolicy | None = None, *, min_score: float | None = None,
                prune_valid_pairs: bool = True, linker: Linker | None = None) -> pl.DataFrame:
    """Fuzzy claim-to-record links: ``claim_id, source, _row, score, contributions`` (JSON).

    Keeps links scoring at least ``min_score`` (default: the policy's review threshold). Output is
    sorted by (claim_id, source, _row) and does not depend on input row order. ``linker``
    replaces the default `chinese_person_linker` (ablations, other parameters).
    """
    out = _links(claims, records, policy, min_score=min_score,
                 prune_valid_pairs=prune_valid_pairs, linker=linker)
    return out.select(list(FUZZY_SCHEMA))


def _links(claims: pl.DataFrame, records: pl.DataFrame, policy: MatchPolicy | None = None, *,
           min_score: float | None = None, prune_valid_pairs: bool = True,
           linker: Linker | None = None, source_key: bool = False,
           name_totals: NameTotals | None = None) -> pl.DataFrame:
    """`fuzzy_links`; with ``source_key``, each link also carries its record's ``source_key``
    (saves the caller a join against the whole reference table). ``name_totals``: name counts
    of the whole reference table when ``records`` holds only the rows that can pair (see
    :class:`CandidateFilter`)."""
    policy = policy or MatchPolicy.model_validate({})
    floor = policy.review_threshold if min_score is None else min_score
    schema = dict(FUZZY_SCHEMA)
    if source_key:
        schema = {"claim_id": pl.String(), "source": pl.String(), "_row": pl.Int64(),
                  "source_key": pl.String(), "score": pl.Float64(), "contributions": pl.String()}
    if claims.height == 0 or records.height == 0 or not policy.fuzzy_enabled:
        return pl.DataFrame(schema=schema)
    linker = linker or chinese_person_linker(prune_valid_pairs)
    left = _with_birth_s(prepare_claims(claims))
    # only reference rows sharing a blocking key with a claim that may pair with them are
    # prepared and scored; term frequencies still count the whole reference table
    # the record's source, row and key are looked up for the few links only, not gathered
    # for every candidate row
    meta = records.select(pl.col("source").cast(pl.String), pl.col("_row").cast(pl.Int64),
                          *([pl.col("source_key").cast(pl.String)] if source_key else []))
    person = records.select(pl.exclude("source", "_row", "source_key"))
    groups = []
    for lf, rows in _candidate_groups(left, records, linker.blocking_rules, prune_valid_pairs):
        cand = person[rows].with_columns(  # the null columns only for the candidate rows
            pl.lit(None, dtype=pl.String).alias("source"), pl.lit(None, dtype=pl.Int64).alias("_row"))
        groups.append((lf, rows, _with_birth_s(prepare_records(cand))))
    if not groups:
        return pl.DataFrame(schema=schema)
    names = pl.concat([r.get_column("name_norm") for _, _, r in groups]).drop_nulls().unique()
    linker.tf_counts = {"name_norm": _name_counts(records, left, names, totals=name_totals)}
    out = []
    for lf, rows, right in groups:
        links = _format(linker.predict(lf, right, threshold=floor), linker)
        # ``key`` numbers the candidate rows: rows[key] is the row of ``records``
        found = meta[rows.gather(links.get_column("key"))]
        out.append(pl.concat([links.select("claim_id"), found,
                              links.select("score", "contributions")], how="horizontal"))
    return pl.concat(out).cast(pl.Schema(schema)).sort("claim_id", "source", "_row")


def describe_contributions(contributions: str | dict[str, Any], score: float | None = None,
                           match: str = "fuzzy") -> str:
    """Human waterfall of one link (Splink style): each field's level and its weight in bits.

    An exact link (``match`` ``id`` or ``legacy_id``) is said plainly.
    """
    import json

    if match in ("id", "legacy_id"):
        what = "the same normalised id" if match == "id" else "the same id in its 15-digit form"
        return f"exact link: {what} (score 1.00)"
    data = json.loads(contributions) if isinstance(contributions, str) else contributions
    lines = [f"prior{'':<10} {data['prior']:+7.2f} bits"]
    total = float(data["prior"])
    for name in COMPARISON_NAMES:
        if name not in data:
            continue
        item = data[name]
        bits = float(item["log2_bf"])
        total += bits
        level = "missing, not compared" if item["level"] == "null" else item["level"]
        lines.append(f"{name:<6} {level:<28} {bits:+7.2f} bits  (running {total:+.2f})")
    prob = 1.0 / (1.0 + 2.0 ** (-total))
    lines.append(f"match weight {total:+.2f} bits -> score {prob if score is None else score:.3f}")
    return "\n".join(lines)
