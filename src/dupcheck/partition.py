"""Partitioned, streaming screening for large provinces (the L tier): same result as
``Screener.run``, with memory bounded by the match keys instead of the tables.

``Screener.run`` holds every reference table, at full width and with its person keys, for the
whole run. Rules never read a reference table except through the evidence frame (``Context.linked``
and the ID_CONFLICT name check join evidence to the table on ``_row``), so once the evidence is
built only the *linked* rows of each table matter. This module therefore:

1. reads each person table in blocks (:func:`dupcheck.io.read.read_table_blocks`: a CSV file of
   any size in about 256 MB pieces, GB18030 transcoded in a worker thread, only the columns some
   rule reads). With fuzzy matching every row may link: each block's key columns are coerced,
   its id and name keys computed and kept in a narrow frame, and the raw block is spilled to an
   uncompressed Arrow file. On the exact-only path a row links only if some claim carries its
   canonical id: only the id column is coerced, and only the selected rows are kept;
2. builds the evidence once, globally, with the same :func:`~dupcheck.matchers.build_evidence`
   (exact links are per person; fuzzy links compare doubtful claims with all rows and use
   term frequencies of the whole reference table, so they are not partitioned);
3. reads back, coerces in full and keys only the rows some claim links to;
4. runs the rules and the decision in ``K`` claim partitions (hash of the normalised id, so the
   claims of one person, which DUPLICATE_CLAIM pairs, always share a partition) and unions them.

The output equals ``Screener(policy).run(folder)`` row for row (tested on small provinces, with
files read in one block and in many): decisions, findings, evidence, claims, and (with fuzzy
matching) the stacked records. Input problems counted are those of the key columns of every row
and of every column of the linked rows (``dupcheck validate`` checks every cell of every row). On
the exact-only path the result keeps no records (unlinked rows' names are never converted), so
``explain_link`` cannot score near misses there.
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from dupcheck.errors import InputError, Problem, ValidationError
from dupcheck.io.coerce import CoercedTable, coerce_table, merge_blocks
from dupcheck.io.dataset import REQUIRED_TABLES
from dupcheck.io.read import BLOCK_BYTES, discover, read_table, read_table_blocks
from dupcheck.matchers import build_evidence, stack_records
from dupcheck.matchers.evidence import PERSON_KEY_COLS
from dupcheck.matchers.fuzzy import CandidateFilter, NameTotals
from dupcheck.normalize import canonical_id, name_keys_expr
from dupcheck.policy import Policy
from dupcheck.schema import TABLES
from dupcheck.screening import (
    PERSON_TABLES,
    ScreeningResult,
    decide,
    prepare_claims,
    prepare_reference,
    run_rules,
    with_link_detail,
)

__all__ = ["default_partitions", "partition_of", "screen_partitioned"]

#: Claims per rule partition when ``partitions`` is not given.
CLAIMS_PER_PARTITION = 250_000

_NAME_KEYS = ("name_norm", "name_py")
#: Columns of a person table that matching reads for every row; the others are coerced only for
#: the rows that some claim links to.
KEY_EXTRA = ("region_code", "phone")
KEY_COLUMNS = ("record_id", "id_number", "name", *KEY_EXTRA)
#: Columns no screening rule reads (the graph and refund stages do): not even parsed here. The
#: tests that partitioned screening equals in-memory screening guard this list.
NOT_SCREENED: dict[str, frozenset[str]] = {
    "stoppages": frozenset({"reason_text"}),
    "employment": frozenset({"agency_id"}),
}
_FINDING_ORDER = ["claim_id", "rule", "source", "source_key", "severity"]


def default_partitions(claims: int) -> int:
    """Number of rule partitions for ``claims`` claims (one per 250k, at least one)."""
    return max(1, -(-claims // CLAIMS_PER_PARTITION))


def partition_of(pid: pl.Expr, partitions: int) -> pl.Expr:
    """Partition number (0..partitions-1) of a claim from its normalised id; null ids go to 0.

    A fixed-seed hash of the id string, so the assignment does not depend on row order and the
    claims of one person share a partition.
    """
    bucket = (pid.hash(seed=2021) % partitions).cast(pl.UInt32)
    return pl.when(pid.is_null()).then(pl.lit(0, dtype=pl.UInt32)).otherwise(bucket)


def _read_one(path: Path, name: str) -> tuple[pl.DataFrame | None, list[Problem]]:
    """One table read and coerced as ``io.load`` does it (frame None when unusable)."""
    raw = read_table(path, TABLES[name])
    problems = list(raw.problems)
    if raw.frame is None or raw.fatal:
        return None, problems
    try:
        coerced = coerce_table(raw.frame, TABLES[name], raw.file)
    except pl.exceptions.PolarsError as exc:
        msg = f"cannot convert to the contract types: {str(exc).splitlines()[0]}"
        return None, [*problems, Problem(raw.file, None, None, None, msg, fatal=True)]
    return coerced.frame, problems + coerced.problems


def _key_columns(t: pl.DataFrame) -> pl.DataFrame:
    """The narrow projection matching needs, with the raw ``name`` in place of its keys."""
    extra = [c for c in KEY_EXTRA if c in t.columns]
    ids = [c for c in PERSON_KEY_COLS if c not in _NAME_KEYS]
    return t.select("_row", "source_key", *ids, "name", *extra)


def _name_map(names: list[pl.Series]) -> pl.DataFrame:
    """``name, name_norm, name_py`` for every distinct name in ``names``, converted once."""
    u = pl.concat([s.rename("name") for s in names]).drop_nulls().unique().to_frame()
    return u.with_columns(name_keys_expr(pl.col("name")).alias("_k")).select(
        "name", *[pl.col("_k").struct.field(f).alias(f) for f in _NAME_KEYS])


def _with_names(t: pl.DataFrame, names: pl.DataFrame, order: list[str]) -> pl.DataFrame:
    """``t`` with the name keys of its ``name`` column looked up in ``names``, columns in ``order``."""
    return t.join(names, on="name", how="left", maintain_order="left").select(order)


class _Table:
    """One person table read block by block, for matching and then for the rules.

    Fuzzy matching may link any row, so every row's key columns are coerced and keyed, and the
    raw rows are spilled to disk until the rules ask for the linked ones. On the exact-only path a
    row links only if some claim carries its canonical id: only the id column of every row is
    coerced, and only the rows it selects are kept (and coerced whole).
    """

    def __init__(self, name: str, path: Path, spill: Path, claim_pids: pl.Series | None,
                 block_bytes: int, candidates: CandidateFilter | None = None,
                 totals: NameTotals | None = None) -> None:
        self.name, self.file, self.spec = name, path.name, TABLES[name]
        self.problems: list[Problem] = []
        self.keys: pl.DataFrame | None = None
        self.usable = True
        self.full: pl.DataFrame | None = None  # exact only: the kept rows, coerced
        self.spilled: list[Path] = []
        self.checked = KEY_COLUMNS if claim_pids is None else ("id_number",)
        keys: list[pl.DataFrame] = []
        kept: list[pl.DataFrame] = []
        coerced: list[CoercedTable] = []
        wanted = None if claim_pids is None else claim_pids.implode()
        columns = [c.name for c in self.spec.columns if c.name not in NOT_SCREENED.get(name, ())]
        blocks = read_table_blocks(path, self.spec, block_bytes=block_bytes, columns=columns)
        for i, raw in enumerate(blocks):
            self.problems += raw.problems
            if raw.frame is None or raw.fatal:
                self.usable = False
                return
            block = raw.frame
            cols = ["_row", *[c for c in self.checked if c in block.columns]]
            c = self._coerce(block.select(cols))
            if c is None:
                return
            coerced.append(c)
            assert c.frame is not None  # _coerce returns None otherwise
            if wanted is None:  # every row's keys, names converted block by block
                k = _key_columns(prepare_reference(c.frame.select(cols), names=False))
                k = k.with_columns(name_keys_expr(pl.col("name")).alias("_k")).select(
                    pl.exclude("name", "_k"),
                    *[pl.col("_k").struct.field(f).alias(f) for f in _NAME_KEYS])
                if candidates is not None and totals is not None:
                    # only rows some link could use are kept; names are counted over all
                    totals.add(k.get_column("name_norm"))
                    k = k.filter(candidates(k))
                keys.append(k)
                part = spill / f"{name}-{i:05d}.arrow"
                block.write_ipc(part, compression="uncompressed")
                self.spilled.append(part)
            else:
                pid = c.frame.select(canonical_id(pl.col("id_number"))).to_series()
                kept.append(block.filter(pid.is_in(wanted)))
            del block, raw
        self.problems += merge_blocks(coerced, self.file)
        if wanted is None:
            self.keys = pl.concat(keys) if keys else None
            return
        full = self._coerce(pl.concat(kept), rest=True)
        if full is not None and full.frame is not None:
            self.full = full.frame
            self.keys = _key_columns(prepare_reference(full.frame, names=False))

    def _coerce(self, frame: pl.DataFrame, rest: bool = False) -> CoercedTable | None:
        """``frame`` coerced (None, with a fatal problem, when it cannot be); with ``rest``, only
        the problems of the columns not already checked on every row are kept."""
        try:
            c = coerce_table(frame, self.spec, self.file)
        except pl.exceptions.PolarsError as exc:
            msg = f"cannot convert to the contract types: {str(exc).splitlines()[0]}"
            self.problems.append(Problem(self.file, None, None, None, msg, fatal=True))
            self.usable = False
            return None
        if rest:
            self.problems += [p for p in c.problems if p.column not in self.checked]
        if c.frame is None:
            self.usable = False
            return None
        return c

    def linked(self, rows: pl.DataFrame) -> pl.DataFrame | None:
        """The rows at ``rows._row`` (those some claim links to) in contract dtypes."""
        if self.full is not None:
            return self.full.join(rows, on="_row", how="semi")
        raw = pl.scan_ipc(self.spilled).join(rows.lazy(), on="_row", how="semi").collect()
        c = self._coerce(raw, rest=True)
        return None if c is None else c.frame


def screen_partitioned(folder: str | Path, policy: Policy | None = None, *,
                       partitions: int | None = None, spill_dir: str | Path | None = None,
                       block_bytes: int = BLOCK_BYTES, prefilter: bool = True) -> ScreeningResult:
    """Screen the data folder ``folder`` table by table and in claim partitions.

    Same decisions, findings, evidence and claims as ``Screener(policy).run(folder)``; lower peak
    memory on large folders. ``partitions`` (default: one per 250k claims) sets the number of
    rule partitions; ``spill_dir`` where raw tables are spilled (default: a temp folder,
    removed afterwards); ``block_bytes`` the size of the blocks large CSV files are read in;
    ``prefilter`` (default) keeps only the reference rows some link could use (the result's
    ``records`` then hold just those; the links are the same).
    Raises ``ValidationError`` when a table is unusable, as ``load`` does. Input problems counted
    are those of every row's identity columns and of the other columns of the rows screening
    links (``dupcheck validate`` checks every cell).
    """
    policy = policy or Policy()
    if partitions is not None and partitions < 1:
        raise InputError(f"partitions must be at least 1, got {partitions}")
    path = Path(folder)
    timings: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - t0, 3)

    with tempfile.TemporaryDirectory(prefix="dupcheck-spill-", dir=spill_dir) as tmp:
        spill = Path(tmp)
        with stage("read"):
            files, problems = discover(path)
            problems += [Problem(str(path), None, None, None, f"required table {n!r} is missing",
                                 fatal=True) for n in REQUIRED_TABLES if n not in files]
            if any(p.fatal for p in problems):
                raise ValidationError(problems)
            frame, probs = _read_one(files["claims"], "claims")
            problems += probs
            if frame is None:
                raise ValidationError(problems)
        with stage("normalise"):
            claims = prepare_claims(frame)
        del frame
        present = {"claims"}
        fuzzy = policy.match.fuzzy_enabled
        read: dict[str, _Table] = {}
        claim_pids = None if fuzzy else claims.get_column("pid").drop_nulls().unique()
        # fuzzy: rows no link can use (another person's valid id, no blocking key shared with a
        # doubtful claim) are dropped as each block is read; names are counted over all rows
        candidates = CandidateFilter(claims) if fuzzy and prefilter else None
        totals = NameTotals() if candidates is not None else None
        for name in TABLES:
            if name == "claims" or name not in files:
                continue
            if name not in PERSON_TABLES:
                with stage("read"):
                    table, probs = _read_one(files[name], name)
                problems += probs
                if table is not None:
                    present.add(name)
                continue
            with stage("read"):  # reading, key coercion and id keys interleave block by block
                t = _Table(name, files[name], spill, claim_pids, block_bytes, candidates, totals)
            problems += t.problems
            if t.usable:
                present.add(name)
                read[name] = t
            gc.collect()
        if any(p.fatal for p in problems):
            raise ValidationError(problems)
        keys = {n: t.keys for n, t in read.items() if t.keys is not None}
        if not fuzzy:  # only the linked rows' names are ever read: converted after matching
            keys = {n: k.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in _NAME_KEYS)
                    for n, k in keys.items()}
        for t in read.values():
            t.keys = None

        with stage("match"):
            records = stack_records(keys)
            keys.clear()
            evidence = build_evidence(claims, records, policy.match, totals)
        gc.collect()

        with stage("rules"):
            tables: dict[str, pl.DataFrame] = {}
            order: dict[str, list[str]] = {}
            for name, t in read.items():
                rows = evidence.filter(pl.col("source") == name).select("_row").unique()
                before = len(t.problems)
                linked = t.linked(rows)
                problems += t.problems[before:]
                if linked is None:
                    raise ValidationError(problems)
                order[name] = prepare_reference(linked.head(0)).columns
                tables[name] = prepare_reference(linked, names=False)
        with stage("normalise"):
            names = _name_map([t.get_column("name") for t in tables.values()])
            tables = {n: _with_names(t, names, order[n]) for n, t in tables.items()}
    k = partitions or default_partitions(claims.height)
    part = partition_of(pl.col("pid"), k)
    out_claims, out_findings, out_decisions = [], [], []
    skipped: dict[str, str] = {}
    for i in range(k):
        with stage("rules"):
            c = claims.filter(part == i) if k > 1 else claims
            ev = evidence.join(c.select("claim_id"), on="claim_id", how="semi") if k > 1 else evidence
            tb = ({n: t.join(ev.filter(pl.col("source") == n).select("_row").unique(), on="_row",
                             how="semi") for n, t in tables.items()} if k > 1 else tables)
            c, f, skipped = run_rules(c, tb, ev, policy, present)
        with stage("decide"):
            f, d = decide(c, with_link_detail(f, ev), policy)
        out_claims.append(c)
        out_findings.append(f)
        out_decisions.append(d)
    with stage("decide"):
        findings = pl.concat(out_findings).sort(_FINDING_ORDER, maintain_order=True)
        decisions = pl.concat(out_decisions).sort("claim_id", maintain_order=True)
        claims = pl.concat(out_claims).sort("_row", maintain_order=True)
    return ScreeningResult(
        decisions=decisions, findings=findings, evidence=evidence, claims=claims,
        skipped=skipped, timings=timings,
        input_problems=sum(1 for p in problems if not p.fatal), policy=policy,
        # without fuzzy matching the unlinked rows' names were never converted: keep no records
        # rather than records that would explain near misses wrongly
        records=records if fuzzy else None,
    )
