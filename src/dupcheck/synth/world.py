"""The synthetic province under construction: population, clean tables and planted truth.

World API (the contract for plug-ins ``dupcheck.synth.graph_plants.plant_graph(world)`` and
``dupcheck.synth.refund_plants.plant_refund(world)``; both are optional modules, called when
present, after the base population, histories and claim plants, and before identity corruption):

* ``world.rng`` -- the one ``numpy.random.Generator``; draw from it only (determinism per seed).
* ``world.rates`` -- :class:`~dupcheck.synth.rates.SynthRates`; ``world.policy`` -- default
  :class:`~dupcheck.policy.Policy` (retirement ages, qualifying reasons, entitlements).
* ``world.window`` -- ``(first, last)`` claim dates of the batch (inclusive).
* ``world.people`` -- the true population, one row per person: ``pid`` (the person's clean
  18-character id, also their true identity), ``name``, ``birth_date`` (Date), ``gender``
  (``M``/``F``), ``region_code``, ``phone``, ``bank_account``, ``address``.
* ``world.tables[name]`` -- contract tables with CLEAN values (dates ``pl.Date``, enums as codes,
  money ``pl.Decimal(18, 2)``); person tables (claims, employment, stoppages, pensions, benefits,
  deaths, incarcerations, dispatch) carry a hidden ``_pid`` column with the true person. Columns
  starting with ``_`` are never written. Corruption of ids/names happens later, on all rows.
* ``world.new_people(n, born=(lo, hi), gender=None)`` -> fresh persons (appended to ``people``);
  the default birth range 1976..2003 keeps them of working age and under retirement age
  throughout the window (pass ``born`` for pensioners).
  ``world.namesakes(pids)`` -> new persons with the same name, birth date and gender, another id.
* ``world.new_enterprises(n, kind="enterprise"|"public_institution"|"dispatch_agency",
  size_class=None, **overrides)`` -> new rows appended to ``enterprises`` (valid USCCs, a legal
  representative drawn from ``people``, own phone/address/account). Overrides are scalars or
  Series of length n for any enterprise column.
* ``world.append(table, frame)`` -> the appended rows: missing contract columns become typed nulls,
  ``record_id`` is assigned (``E00000001``-style, per table) when absent, and for person tables
  ``id_number``/``name`` are filled from ``people`` by ``_pid`` when absent.
* ``world.add_spells(frame)`` -- employment spells (``_pid, employer_id, start_date, end_date``,
  optional ``agency_id``, ``reason``): appends employment rows and, where ``reason`` is not null, a
  stoppage on the spell's ``end_date`` with that reason (and a ``dispatch`` row when ``agency_id``).
* ``world.add_claims(frame, rules=None, tags=None)`` -> claims with ``claim_id`` assigned. ``frame``
  needs ``_pid, benefit_type, claim_date``; claimant fields (id, name, birth date, gender, phone,
  account, region) default to the person's clean values; ``period_start`` defaults to
  ``claim_date``. ``rules``/``tags``: one list per row (or one list for all rows, or a
  ``List(String)`` Series) of the rule codes
  the plant intends and free tags (``near_miss:...``). The expected rules in the truth are
  recomputed from the clean tables by the oracle (``dupcheck.synth.oracle``), plus the declared
  claim-level rules it cannot derive (ID_INVALID, ID_CONFLICT, INPUT_INVALID); any other declared
  rule the oracle does not derive is left out and the claim tagged ``declared_only:<RULE>``.
* Lookups: ``world.table(name)`` (a typed empty frame when absent), ``world.person(pids)``
  (people rows in the given order), ``world.claim_plan()`` (``claim_id, declared, tags``).
* ``world.add_alert_truth(pattern, entities, near_miss=False)`` -- one expected graph alert
  (``entities``: ``kind:value`` strings as in contract §4, Graph semantics).
* ``world.truth["refund"]`` -- set by the refund plug-in: ``application_id, decision, rules
  (list[str]), eligible_amount (str)``; ``world.truth["bad_input"]`` -- ``table, key, column``
  of every cell planted as bad input (what ``dupcheck validate`` must report, and only that).
* Date helpers: :func:`add_months` (calendar months, clamped to month end, for scalars),
  :func:`months_expr` (the same on a column), :func:`random_dates` (uniform inclusive dates).
  A claimed period is ``period_start .. period_end`` inclusive; :func:`default_period_end` gives
  the contract default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from dupcheck.policy import Policy
from dupcheck.schema import TABLES
from dupcheck.synth.idgen import luhn_cards, resident_ids, shandong_counties, uscc_codes
from dupcheck.synth.names import sample_names
from dupcheck.synth.rates import SynthRates

__all__ = [
    "PEOPLE_SCHEMA",
    "PERSON_TABLES",
    "RECORD_PREFIX",
    "World",
    "add_months",
    "default_period_end",
    "months_expr",
    "random_dates",
]

PEOPLE_SCHEMA: dict[str, pl.DataType] = {
    "pid": pl.String(),
    "name": pl.String(),
    "birth_date": pl.Date(),
    "gender": pl.String(),
    "region_code": pl.String(),
    "phone": pl.String(),
    "bank_account": pl.String(),
    "address": pl.String(),
}

#: Tables whose rows belong to a person (they carry ``_pid``).
PERSON_TABLES = (
    "claims", "employment", "stoppages", "pensions", "benefits", "deaths", "incarcerations",
    "dispatch",
)

#: Prefix of generated ``record_id`` values per reference table.
RECORD_PREFIX = {
    "employment": "E", "stoppages": "S", "pensions": "P", "benefits": "B", "deaths": "D",
    "incarcerations": "I", "dispatch": "H",
}

_STREETS = ["解放路", "经十路", "泉城路", "和平路", "人民路", "建设路", "胜利街", "文化路", "新华路", "中山路", "青年路", "黄河路", "长江路", "泰山路", "东风街", "光明街", "幸福街", "振兴路", "工业路", "花园路", "滨河路", "府前街", "育才路", "朝阳街"]
_FIRM_WORDS = ["鑫源", "华泰", "恒达", "金诚", "瑞丰", "宏远", "鲁信", "齐鲁", "海川", "东岳", "泰和", "天成", "汇通", "永盛", "广联", "博润", "润华", "信达", "盛世", "德润", "鼎盛", "安泰", "中科", "凯瑞", "佳和", "众诚", "远航", "明辉", "兴业", "百川"]
_FIRM_TRADES = ["机械", "商贸", "建材", "食品", "纺织", "化工", "电子", "物流", "建筑", "餐饮", "科技", "医药", "印刷", "五金"]


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamped to the month's last day."""
    m0 = d.year * 12 + d.month - 1 + months
    y, m = divmod(m0, 12)
    m += 1
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return date(y, m, min(d.day, (nxt - timedelta(days=1)).day))


def months_expr(col: pl.Expr | str, months: pl.Expr | int) -> pl.Expr:
    """Column expression: a Date column plus a (possibly per-row) number of calendar months."""
    c = pl.col(col) if isinstance(col, str) else col
    if isinstance(months, int):
        return c.dt.offset_by(f"{months}mo")
    return c.dt.offset_by(pl.format("{}mo", months))


def default_period_end(start: pl.Expr, months: pl.Expr) -> pl.Expr:
    """Contract default: ``period_end = start + entitlement months - 1 day``."""
    return months_expr(start, months).dt.offset_by("-1d")


def random_dates(rng: np.random.Generator, lo: date, hi: date, n: int) -> pl.Series:
    """``n`` dates drawn uniformly from ``lo..hi`` inclusive."""
    base = np.datetime64(lo, "D")
    span = (hi - lo).days + 1
    return pl.Series(base + rng.integers(0, span, n), dtype=pl.Date)


def _regions_for(rng: np.random.Generator, births: pl.Series) -> pl.Series:
    """A Shandong county code per person, in force in their birth year where the code history
    allows (codes are recorded from 1982-83 on; earlier births get the oldest codes)."""
    counties = shandong_counties()
    since = counties["since"].to_numpy()
    always = np.flatnonzero(since == since.min())
    idx = rng.integers(0, counties.height, births.len())
    late = since[idx] > births.dt.year().to_numpy()
    idx[late] = always[rng.integers(0, len(always), int(late.sum()))]
    return counties["region_code"].gather(idx)


def _typed_empty(table: str) -> pl.DataFrame:
    schema = dict(TABLES[table].schema)
    if table in PERSON_TABLES:
        schema["_pid"] = pl.String()
    return pl.DataFrame(schema=schema)


@dataclass
class World:
    """Mutable state of one synthetic province: population, clean tables and planted truth."""

    rng: np.random.Generator
    rates: SynthRates = field(default_factory=lambda: SynthRates())
    policy: Policy = field(default_factory=Policy)
    window: tuple[date, date] = (date(2024, 7, 1), date(2025, 12, 31))
    people: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PEOPLE_SCHEMA))
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    truth: dict[str, pl.DataFrame] = field(default_factory=dict)
    _taken: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)
    _claim_plan: list[pl.DataFrame] = field(default_factory=list, repr=False)
    _alerts: list[dict[str, Any]] = field(default_factory=list, repr=False)
    #: ``(index, count)`` of this world among the shards of a province: person ids draw their
    #: sequence number and enterprise ids their organisation code from this shard's own slice,
    #: so ids never collide across shards.
    shard: tuple[int, int] = (0, 1)

    def _seq_half(self, n: int) -> np.ndarray:
        """Half of an id's 3-digit sequence number (0..499), drawn from this shard's slice."""
        k, count = self.shard
        return self.rng.integers(500 * k // count, 500 * (k + 1) // count, n)

    def serials(self) -> dict[str, int]:
        """Serial numbers taken so far per series (to continue them in the next shard)."""
        return dict(self._counters)

    def continue_serials(self, taken: dict[str, int]) -> None:
        """Start every series after the serials an earlier shard took (see :meth:`serials`)."""
        self._counters.update(taken)

    def reserve(self, key: str, n: int) -> int:
        """Reserve ``n`` serial numbers of series ``key`` (claim, record and application ids);
        returns how many were taken before, so serials continue across the shards."""
        start = self._counters.get(key, 0)
        self._counters[key] = start + n
        return start

    # ---------------------------------------------------------------- people
    def new_people(
        self,
        n: int,
        born: tuple[date, date] = (date(1976, 1, 1), date(2003, 12, 31)),
        gender: str | None = None,
    ) -> pl.DataFrame:
        """Fresh persons with valid, unused ids (appended to :attr:`people`)."""
        rng = self.rng
        out: list[pl.DataFrame] = []
        need = n
        while need > 0:
            births = random_dates(rng, born[0], born[1], need)
            region = _regions_for(rng, births)
            if gender is None:
                sexes = np.where(rng.random(need) < 0.5, "M", "F")
            else:
                sexes = np.full(need, gender)
            seq = self._seq_half(need) * 2 + (sexes == "M")
            ids = resident_ids(region.cast(pl.Int64).to_numpy(), births.to_numpy(), seq)
            frame = pl.DataFrame(
                {"pid": ids, "birth_date": births, "gender": pl.Series(sexes, dtype=pl.String),
                 "region_code": region}
            )
            frame = frame.filter(pl.Series(self._claim_ids(ids)))
            out.append(frame)
            need -= frame.height
        people = self._decorate(pl.concat(out).head(n))
        self._add_people(people)
        return people

    def _add_people(self, frame: pl.DataFrame) -> None:
        people = pl.concat([self.people, frame], rechunk=False)
        self.people = people.rechunk() if people.n_chunks() > 24 else people

    def _claim_ids(self, ids: pl.Series) -> np.ndarray:
        """Mark ``ids`` as used; returns a mask of those that were free (first occurrence)."""
        num = ids.str.slice(0, 17).cast(pl.Int64).to_numpy()
        _, first = np.unique(num, return_index=True)
        ok = np.zeros(len(num), dtype=bool)
        ok[first] = True
        taken = self._taken
        pos = np.searchsorted(taken, num)
        hit = (pos < len(taken)) & (taken[np.minimum(pos, max(len(taken) - 1, 0))] == num) \
            if len(taken) else np.zeros(len(num), dtype=bool)
        ok &= ~hit
        new = np.sort(num[ok])
        self._taken = np.insert(taken, np.searchsorted(taken, new), new)
        return ok

    def namesakes(self, pids: pl.Series) -> pl.DataFrame:
        """New persons sharing name, birth date and gender with ``pids`` but with another id."""
        src = self.person(pids)
        rng = self.rng
        region = _regions_for(rng, src["birth_date"])
        ids = resident_ids(
            region.cast(pl.Int64).to_numpy(), src["birth_date"].to_numpy(),
            self._seq_half(src.height) * 2 + (src["gender"] == "M").to_numpy(),
        )
        free = pl.Series(self._claim_ids(ids))
        base = src.select("birth_date", "gender").with_columns(pid=ids, region_code=region)
        fresh = self._decorate(base.filter(free).select("pid", "birth_date", "gender",
                                                        "region_code"))
        fresh = fresh.with_columns(name=src["name"].filter(free))
        self._add_people(fresh)
        return fresh

    def person(self, pids: pl.Series) -> pl.DataFrame:
        """Rows of :attr:`people` for ``pids``, in the order given."""
        want = pl.DataFrame({"pid": pids.cast(pl.String)})
        if want.height * 20 < self.people.height:
            sub = self.people.filter(pl.col("pid").is_in(want["pid"].unique().implode()))
        else:
            sub = self.people
        return want.join(sub, on="pid", how="left", maintain_order="left")

    def _decorate(self, base: pl.DataFrame) -> pl.DataFrame:
        rng = self.rng
        n = base.height
        names = sample_names(rng, base["gender"].to_numpy())
        prefixes = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156,
                             157, 158, 159, 166, 176, 177, 180, 181, 182, 183, 186, 187, 188, 189,
                             191, 198, 199])
        phone = prefixes[rng.integers(0, len(prefixes), n)].astype(np.int64) * 10**8 + rng.integers(
            0, 10**8, n)
        counties = shandong_counties()
        streets = pl.Series(np.asarray(_STREETS, dtype=object)[rng.integers(0, len(_STREETS), n)],
                            dtype=pl.String)
        num = pl.Series(rng.integers(1, 400, n))
        return (
            base.with_columns(
                name=names,
                phone=pl.Series(phone).cast(pl.String),
                bank_account=luhn_cards(rng, n),
                _street=streets,
                _num=num,
            )
            .join(counties, on="region_code", how="left", maintain_order="left")
            .with_columns(
                address=pl.format("山东省{}{}{}{}号", "city", "county", "_street", "_num")
            )
            .select(list(PEOPLE_SCHEMA))
        )

    # ---------------------------------------------------------------- enterprises
    def new_enterprises(
        self, n: int, kind: str = "enterprise", size_class: str | None = None, **overrides: Any
    ) -> pl.DataFrame:
        """New units of ``kind`` appended to ``enterprises``; returns the new rows."""
        rng = self.rng
        counties = shandong_counties()
        idx = rng.integers(0, counties.height, n)
        region = counties["region_code"].gather(idx)
        prefix = {"enterprise": "91", "dispatch_agency": "91", "public_institution": "12"}[kind]
        ids = self._free_usccs(region.cast(pl.Int64).to_numpy(), prefix)
        if self.people.height >= 50 * n:  # legal representatives from the population
            reps = self.people[rng.integers(0, self.people.height, n)]
        else:
            reps = self.new_people(n, born=(date(1960, 1, 1), date(1995, 12, 31)))
        words = np.asarray(_FIRM_WORDS, dtype=object)[rng.integers(0, len(_FIRM_WORDS), n)]
        trades = np.asarray(_FIRM_TRADES, dtype=object)[rng.integers(0, len(_FIRM_TRADES), n)]
        city = counties["city"].gather(idx)
        county = counties["county"].gather(idx)
        if kind == "dispatch_agency":
            name = city + pl.Series(words, dtype=pl.String) + "人力资源有限公司"
        elif kind == "public_institution":
            inst = np.asarray(["人民医院", "第一中学", "实验小学", "疾病预防控制中心", "图书馆",
                               "档案馆", "农业技术推广站", "社会保险事业中心"], dtype=object)
            name = county + pl.Series(inst[rng.integers(0, len(inst), n)], dtype=pl.String)
        else:
            name = (city.str.slice(0, 2) + pl.Series(words, dtype=pl.String)
                    + pl.Series(trades, dtype=pl.String) + "有限公司")
        if size_class is None and kind != "public_institution":
            sizes = np.asarray(["large", "medium", "small", "micro"], dtype=object)[
                rng.choice(4, size=n, p=[0.05, 0.2, 0.45, 0.3])]
            size = pl.Series(sizes, dtype=pl.String)
        else:
            size = pl.Series([size_class] * n, dtype=pl.String)
        own = self._decorate(reps.select("pid", "birth_date", "gender", "region_code"))
        frame = pl.DataFrame(
            {
                "enterprise_id": ids,
                "name": name,
                "kind": pl.Series([kind] * n, dtype=pl.String),
                "size_class": size,
                "legal_rep_id": reps["pid"],
                "legal_rep_name": reps["name"],
                "phone": (
                    "05" + pl.Series(rng.integers(31, 47, n)).cast(pl.String) + "-"
                    + pl.Series(rng.integers(2000000, 9000000, n)).cast(pl.String)
                ),
                "address": own["address"],
                "bank_account": "3" + own["bank_account"].str.slice(1),
                "established_date": random_dates(rng, date(1995, 1, 1), date(2019, 12, 31), n),
                "dishonest": pl.Series([False] * n),
            }
        )
        for col, val in overrides.items():
            frame = frame.with_columns(
                (val.alias(col) if isinstance(val, pl.Series) else pl.lit(val)).alias(col)
            )
        return self.append("enterprises", frame)

    def _free_usccs(self, region: np.ndarray, prefix: str) -> pl.Series:
        """USCCs from this shard's slice, redrawn where one is already taken (rare: draws only
        on a clash, so worlds without one keep their bytes)."""
        k, count = self.shard
        ids = uscc_codes(self.rng, region, prefix, shard=k, shards=count)
        old = self.table("enterprises")["enterprise_id"].implode()
        while True:
            clash = (ids.is_duplicated() & ~ids.is_first_distinct()) | ids.is_in(old)
            if not clash.any():
                return ids
            at = np.flatnonzero(clash.to_numpy())
            ids = ids.scatter(at, uscc_codes(self.rng, region[at], prefix, shard=k, shards=count))

    # ---------------------------------------------------------------- tables
    def append(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Append rows to ``table`` (contract columns, typed; record ids and person fields filled)."""
        spec = TABLES[table]
        target = _typed_empty(table)
        n = frame.height
        if n == 0:
            return target
        if table in PERSON_TABLES and table != "claims":
            if "id_number" not in frame.columns:
                frame = frame.with_columns(id_number=pl.col("_pid"))
            if "name" not in frame.columns:
                frame = frame.with_columns(name=self.person(frame["_pid"])["name"])
        if "record_id" in spec.by_name and (
            "record_id" not in frame.columns or frame["record_id"].null_count() == n
        ):
            start = self.reserve(table, n)
            rid = pl.format(
                "{}{}", pl.lit(RECORD_PREFIX[table]),
                pl.int_range(start + 1, start + n + 1, eager=False).cast(pl.String).str.zfill(8),
            )
            frame = frame.with_columns(rid.alias("record_id"))
        cols = []
        for name, dtype in target.schema.items():
            if name in frame.columns:
                cols.append(pl.col(name).cast(dtype))
            else:
                cols.append(pl.lit(None, dtype=dtype).alias(name))
        extra = [c for c in frame.columns if c.startswith("_") and c not in target.schema]
        rows = frame.select(cols + [pl.col(c) for c in extra])
        old = self.tables.get(table)
        self.tables[table] = (
            rows if old is None else pl.concat([old, rows], how="diagonal_relaxed", rechunk=False)
        )
        return rows

    def table(self, name: str) -> pl.DataFrame:
        """The current contents of ``name`` (an empty typed frame when nothing was appended)."""
        return self.tables.get(name, _typed_empty(name))

    def add_spells(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Employment spells (``_pid, employer_id, start_date, end_date`` [, ``agency_id``,
        ``reason``, ``region_code``]); adds a stoppage per non-null ``reason`` on ``end_date``
        and a dispatch row per non-null ``agency_id``. Returns the employment rows."""
        if "name" not in frame.columns:
            frame = frame.with_columns(name=self.person(frame["_pid"])["name"])
        who = ["_pid", "name"] + (["id_number"] if "id_number" in frame.columns else [])
        emp = self.append("employment", frame.drop("reason", strict=False))
        if "reason" in frame.columns:
            stops = frame.filter(pl.col("reason").is_not_null() & pl.col("end_date").is_not_null())
            self.append(
                "stoppages",
                stops.select(*who, "employer_id", pl.col("end_date").alias("stop_date"),
                             "reason"),
            )
        if "agency_id" in frame.columns:
            disp = frame.filter(pl.col("agency_id").is_not_null())
            self.append(
                "dispatch",
                disp.select(*who, "agency_id", "employer_id", "start_date", "end_date"),
            )
        return emp

    def add_claims(
        self,
        frame: pl.DataFrame,
        rules: list[list[str]] | list[str] | pl.Series | None = None,
        tags: list[list[str]] | list[str] | pl.Series | None = None,
    ) -> pl.DataFrame:
        """Append claims (``_pid, benefit_type, claim_date`` at least) with their intended rules
        and tags; claim ids are assigned in order. Returns the appended claims."""
        n = frame.height
        start = self.reserve("claims", n)
        ids = pl.format("C{}", pl.int_range(start + 1, start + n + 1, eager=False)
                        .cast(pl.String).str.zfill(8))
        frame = frame.with_columns(ids.alias("claim_id"))
        who = self.person(frame["_pid"]).rename({"pid": "_pid"})
        fill = [
            (who["_pid"] if c == "id_number" else who[c]).alias(c)
            for c in ("id_number", "name", "birth_date", "gender", "phone", "bank_account",
                      "region_code")
            if c not in frame.columns
        ]
        frame = frame.with_columns(fill)
        if "period_start" not in frame.columns:
            frame = frame.with_columns(pl.col("claim_date").alias("period_start"))
        rows = self.append("claims", frame)

        def per_row(v: list[list[str]] | list[str] | pl.Series | None) -> pl.Series:
            if isinstance(v, pl.Series):
                return v.cast(pl.List(pl.String))
            if v is None:
                return pl.Series([[] for _ in range(n)], dtype=pl.List(pl.String))
            if v and isinstance(v[0], str):
                return pl.Series([list(v) for _ in range(n)], dtype=pl.List(pl.String))
            return pl.Series([list(x) for x in v], dtype=pl.List(pl.String))

        self._claim_plan.append(
            pl.DataFrame(
                {"claim_id": rows["claim_id"],
                 "declared": per_row(rules), "tags": per_row(tags)}
            )
        )
        return rows

    def claim_plan(self) -> pl.DataFrame:
        """All claims' declared rules and tags: ``claim_id, declared, tags``."""
        if not self._claim_plan:
            return pl.DataFrame(schema={"claim_id": pl.String, "declared": pl.List(pl.String),
                                        "tags": pl.List(pl.String)})
        return pl.concat(self._claim_plan)

    # ---------------------------------------------------------------- truth
    def add_alert_truth(self, pattern: str, entities: list[str], near_miss: bool = False) -> None:
        """Record one expected graph alert (or a near miss that must not be alerted)."""
        self._alerts.append(
            {"pattern": pattern, "entities": sorted(set(entities)), "near_miss": near_miss}
        )

    def alerts_truth(self) -> pl.DataFrame:
        """Expected alerts: ``pattern, entities (list[str]), near_miss``."""
        return pl.DataFrame(
            self._alerts,
            schema={"pattern": pl.String, "entities": pl.List(pl.String), "near_miss": pl.Boolean},
        )
