"""Fuzzy person linkage: known answers (typos, transpositions, homophones, namesakes), calibration,
term frequencies, explanations and order invariance on small hand-built worlds."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupcheck.matchers.fuzzy import FUZZY_SCHEMA, describe_contributions, fuzzy_links
from dupcheck.normalize import ids, names
from dupcheck.policy import MatchPolicy

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str, birth: str, seq: str) -> str:
    """A valid 18-character resident id (MOD 11-2 check character)."""
    body = region + birth + seq
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def keys(df: pl.DataFrame) -> pl.DataFrame:
    """The columns `normalize.add_person_keys` adds, built from the normalize primitives."""
    df = df.with_columns(ids.canonical_id(pl.col("id_number")).alias("pid"))
    return df.with_columns(
        ids.is_legacy_raw(pl.col("id_number")).alias("id_legacy"),
        ids.id_is_valid(pl.col("pid")).alias("id_valid"),
        ids.id_birth_date(pl.col("pid")).alias("id_birth"),
        ids.id_gender(pl.col("pid")).alias("id_gender"),
        names.normalize_names(df["name"]).alias("name_norm"),
        names.name_pinyin(df["name"]).alias("name_py"),
    )


def claims_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Claims with the optional columns typed even when all null."""
    base = {"claim_id": None, "id_number": None, "name": None, "birth_date": None,
            "gender": None, "phone": None, "region_code": "371502"}
    df = pl.DataFrame([{**base, **r} for r in rows], schema={
        "claim_id": pl.String, "id_number": pl.String, "name": pl.String,
        "birth_date": pl.Date, "gender": pl.String, "phone": pl.String, "region_code": pl.String})
    return keys(df)


def records_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Reference rows (employment unless stated) numbered in order."""
    out = [{"source": "employment", "region_code": "371502", **r, "_row": i}
           for i, r in enumerate(rows)]
    return keys(pl.DataFrame(out, schema={
        "source": pl.String, "region_code": pl.String, "id_number": pl.String, "name": pl.String,
        "_row": pl.Int64}))


# some filler people so that term frequencies and blocks look like data
_FILLER = [
    {"id_number": make_id("371502", f"19{60 + i % 30}0{1 + i % 9}1{i % 10}", f"{100 + i:03d}"),
     "name": n}
    for i, n in enumerate(["王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄婷"] * 3)
]


def link(claims: list[dict[str, object]], records: list[dict[str, object]],
         **kw: object) -> pl.DataFrame:
    return fuzzy_links(claims_frame(claims), records_frame(records + _FILLER), **kw)  # type: ignore[arg-type]


def score_of(out: pl.DataFrame, claim_id: str, row: int = 0) -> float | None:
    hit = out.filter((pl.col("claim_id") == claim_id) & (pl.col("_row") == row))
    return None if hit.height == 0 else float(hit["score"][0])


def test_golden_c11_check_digit_typo_links_at_reject_strength() -> None:
    out = link([{"claim_id": "C11", "id_number": "371502199504190130", "name": "郑凯"}],
               [{"id_number": "371502199504190131", "name": "郑凯"}])
    s = score_of(out, "C11")
    assert s is not None and s >= 0.9
    assert out.schema == pl.Schema(FUZZY_SCHEMA)


def test_transposed_id_with_same_name_and_birth_scores_reject_strength() -> None:
    true = make_id("371502", "19880930", "042")
    wrong = true[:14] + true[15] + true[14] + true[16:]
    assert wrong != true
    out = link([{"claim_id": "A", "id_number": true, "name": "刘洋"}],
               [{"id_number": wrong, "name": "劉 洋"}])  # traditional and spaced as well
    s = score_of(out, "A")
    assert s is not None and s >= 0.9
    detail = json.loads(out["contributions"][0])
    assert detail["id"]["level"] == "id adjacent transposition"
    assert detail["name"]["level"] == "name exact"


def test_invalid_claim_id_with_same_name_birth_and_region_reaches_review() -> None:
    out = link([{"claim_id": "B", "id_number": "37150219XX0101", "name": "宋小宝",
                 "birth_date": dt.date(1979, 1, 1)}],
               [{"id_number": make_id("371502", "19790101", "117"), "name": "宋小宝"}])
    s = score_of(out, "B")
    assert s is not None and s >= 0.6


def test_namesake_with_another_valid_id_does_not_link() -> None:
    claim = [{"claim_id": "N", "id_number": make_id("371502", "19900101", "123"), "name": "宋小宝"}]
    rec = [{"id_number": make_id("371502", "19900101", "157"), "name": "宋小宝"}]
    assert score_of(link(claim, rec), "N") is None
    # scored anyway (not pruned), the namesake stays far below review strength
    out = link(claim, rec, min_score=0.0, prune_valid_pairs=False)
    s = score_of(out, "N")
    assert s is not None and s < 0.6
    assert json.loads(out["contributions"][0])["id"]["level"] == "id another valid id"


def test_one_digit_id_but_different_name_is_not_a_link() -> None:
    true = make_id("371502", "19950419", "013")
    typo = true[:-1] + ("1" if true[-1] != "1" else "2")
    out = link([{"claim_id": "D", "id_number": typo, "name": "张伟"}],
               [{"id_number": true, "name": "郑凯"}], min_score=0.0)
    s = score_of(out, "D")
    assert s is not None and s < 0.6


def test_heteronym_surname_reading_counts_as_same_pinyin() -> None:
    true = make_id("110101", "19900101", "123")
    typo = true[:-1] + ("1" if true[-1] != "1" else "2")
    out = link([{"claim_id": "H", "id_number": typo, "name": "曾小明"}],
               [{"id_number": true, "name": "层小明"}, {"id_number": true, "name": "张小明"}],
               min_score=0.0)
    levels = {r["_row"]: json.loads(r["contributions"])["name"]["level"]
              for r in out.iter_rows(named=True) if r["claim_id"] == "H"}
    assert levels[0] == "name same pinyin"
    assert levels[1] != "name same pinyin"


def test_common_name_counts_for_less_than_a_rare_one() -> None:
    common, rare = "王伟", "禤鹭"
    recs = [{"id_number": make_id("371502", "19700101", f"{i:03d}"), "name": common}
            for i in range(100, 300)]
    claims = []
    for n, cid, seq in ((common, "C", "555"), (rare, "R", "556")):
        true = make_id("371502", "19820505", seq)
        recs.append({"id_number": true[:-1] + ("1" if true[-1] != "1" else "2"), "name": n})
        claims.append({"claim_id": cid, "id_number": true, "name": n})
    out = fuzzy_links(claims_frame(claims), records_frame(recs), min_score=0.0)
    true_pairs = out.filter(
        ((pl.col("claim_id") == "C") & (pl.col("_row") == 200))
        | ((pl.col("claim_id") == "R") & (pl.col("_row") == 201)))
    assert true_pairs.height == 2
    bits = {r["claim_id"]: json.loads(r["contributions"])["name"]["log2_bf"]
            for r in true_pairs.iter_rows(named=True)}
    assert bits["C"] < bits["R"] - 3
    assert (true_pairs["score"] >= 0.9).all()
    # the common-name namesakes born elsewhere in time are far from review strength
    assert (out.filter(pl.col("_row") < 200)["score"] < 0.01).all()


def test_exact_id_pairs_are_left_to_the_exact_matcher() -> None:
    pid = make_id("371502", "19850314", "011")
    out = link([{"claim_id": "E", "id_number": pid, "name": "张伟"}],
               [{"id_number": pid, "name": "张伟"}], min_score=0.0)
    assert out.filter(pl.col("claim_id") == "E").height == 0


def test_review_threshold_from_policy_filters_links() -> None:
    claim = [{"claim_id": "B", "id_number": "37150219XX0101", "name": "宋小宝",
              "birth_date": dt.date(1979, 1, 1)}]
    rec = [{"id_number": make_id("371502", "19790101", "117"), "name": "宋小宝"}]
    strict = MatchPolicy.model_validate({"review_threshold": 0.999999})
    assert score_of(link(claim, rec, policy=strict), "B") is None
    off = MatchPolicy.model_validate({"fuzzy_enabled": False})
    assert link(claim, rec, policy=off).height == 0


def test_empty_inputs_give_empty_typed_output() -> None:
    out = fuzzy_links(claims_frame([]), records_frame(_FILLER))
    assert out.height == 0 and out.schema == pl.Schema(FUZZY_SCHEMA)


def test_explanations_read_as_waterfalls() -> None:
    out = link([{"claim_id": "C11", "id_number": "371502199504190130", "name": "郑凯"}],
               [{"id_number": "371502199504190131", "name": "郑凯"}])
    text = describe_contributions(out["contributions"][0], out["score"][0])
    assert "name exact" in text and "id one digit" in text and "prior" in text
    assert describe_contributions("", match="id").startswith("exact link")


@settings(max_examples=12, deadline=None)
@given(pos=st.integers(0, 16), digit=st.integers(0, 9), seq=st.integers(100, 899),
       year=st.integers(1960, 2000))
def test_any_single_digit_typo_is_found_at_review_strength(pos: int, digit: int, seq: int,
                                                            year: int) -> None:
    true = make_id("371502", f"{year}0612", str(seq))
    typo = true[:pos] + str(digit) + true[pos + 1:]
    if typo == true:
        return
    out = link([{"claim_id": "T", "id_number": true, "name": "欧阳娜娜"}],
               [{"id_number": typo, "name": "欧阳娜娜"}])
    s = score_of(out, "T")
    assert s is not None and s >= 0.6
    if not 6 <= pos < 14:  # outside the birth date the score is reject strength
        assert s >= 0.9


def test_output_does_not_depend_on_row_order() -> None:
    true = make_id("371502", "19880930", "042")
    claims = [{"claim_id": f"K{i}", "id_number": true[:-1] + str(i), "name": "刘洋"}
              for i in range(5)]
    recs = [{"id_number": true, "name": "刘洋"}, {"id_number": true, "name": "劉洋"}]
    a = fuzzy_links(claims_frame(claims), records_frame(recs + _FILLER), min_score=0.0)
    cf = claims_frame(claims).reverse()
    rf = records_frame(recs + _FILLER).sample(fraction=1.0, shuffle=True, seed=3)
    b = fuzzy_links(cf, rf, min_score=0.0)
    assert a.height > 0
    assert a.equals(b)


@pytest.mark.parametrize("name_rec", ["郑 凯", "鄭凱", "郑凱"])
def test_traditional_and_spaced_names_match_exactly_after_normalisation(name_rec: str) -> None:
    out = link([{"claim_id": "C11", "id_number": "371502199504190130", "name": "郑凯"}],
               [{"id_number": "371502199504190131", "name": name_rec}])
    assert json.loads(out["contributions"][0])["name"]["level"] == "name exact"


def test_legacy_id_upgraded_to_another_century_still_links() -> None:
    # sequences 996-999 of a 15-digit number upgrade to 18xx: both forms are valid ids
    out = link([{"claim_id": "L", "id_number": make_id("371722", "19870318", "996"),
                 "name": "谢柳梅"}],
               [{"id_number": "371722870318996", "name": "谢柳梅"}])
    s = score_of(out, "L")
    assert s is not None and s >= 0.9
    assert json.loads(out["contributions"][0])["id"]["level"] == "id legacy form equal"


def test_typo_that_breaks_the_birth_date_still_compares_digits() -> None:
    true = make_id("370983", "19810311", "870")
    typo = true[:10] + "1" + true[11:]  # month 03 -> 13: no date at all
    out = link([{"claim_id": "M", "id_number": true, "name": "陈敏"}],
               [{"id_number": typo, "name": "陈敏"}])
    s = score_of(out, "M")
    assert s is not None and s >= 0.9
    assert json.loads(out["contributions"][0])["birth"]["level"] == "birth one digit"


def test_candidate_prefilter_loses_no_pair_of_the_full_linker() -> None:
    from dupcheck.matchers.fuzzy import _with_birth_s, chinese_person_linker, prepare_claims
    from dupcheck.matchers.fuzzy import prepare_records as prep_rec

    true = make_id("371502", "19880930", "042")
    claims = [{"claim_id": f"K{i}", "id_number": true[:-1] + str(i), "name": n}
              for i, n in enumerate(["刘洋", "劉洋", "王伟", "李娜"])]
    claims.append({"claim_id": "V", "id_number": make_id("371502", "19600101", "100"),
                   "name": "王伟"})
    recs = [{"id_number": true, "name": "刘洋"}, {"id_number": true[:15] + "24X", "name": "刘洋"},
            {"id_number": make_id("371502", "19600101", "100")[:-1] + "0", "name": "王伟"}]
    cf, rf = claims_frame(claims), records_frame(recs + _FILLER)
    got = fuzzy_links(cf, rf, min_score=0.0)
    full = chinese_person_linker().predict(_with_birth_s(prepare_claims(cf)),
                                           _with_birth_s(prep_rec(rf)))
    assert got.height == full.height > 0
    assert sorted(got["score"].round(6).to_list()) == sorted(
        full["match_probability"].round(6).to_list())


def test_invalid_id_far_from_a_namesakes_id_stays_below_review() -> None:
    # the claim's own id is mistyped (invalid); a namesake born the same day elsewhere has a
    # well-formed id differing in many places: that disagreement counts against the link
    own = make_id("370114", "19600907", "789")
    typo = own[:-1] + ("1" if own[-1] != "1" else "2")
    other = make_id("370213", "19600907", "621")
    out = link([{"claim_id": "F", "id_number": typo, "name": "王伟", "region_code": "370114"}],
               [{"id_number": other, "name": "王伟", "region_code": "370213"},
                {"id_number": own, "name": "王伟", "region_code": "370114"}], min_score=0.0)
    far = score_of(out, "F", 0)
    assert far is not None and far < 0.6
    assert json.loads(out["contributions"][0])["id"]["level"] == "id valid vs distant invalid"
    near = score_of(out, "F", 1)
    assert near is not None and near >= 0.9


def test_links_at_the_threshold_are_the_full_scoring_filtered() -> None:
    # fuzzy_links drops pairs that cannot reach the threshold before comparing names; the links
    # kept must be exactly those of scoring every candidate and filtering afterwards
    own = make_id("371502", "19880930", "042")
    other = make_id("371502", "19880930", "057")
    claims: list[dict[str, object]] = [
              {"claim_id": "A", "id_number": own[:-1] + ("1" if own[-1] != "1" else "2"),
               "name": "刘洋"},
              {"claim_id": "B", "id_number": own[:10] + own[11] + own[10] + own[12:],
               "name": "王伟"},
              {"claim_id": "C", "id_number": own[:-3], "name": "刘洋",
               "birth_date": dt.date(1988, 9, 30)},
              {"claim_id": "D", "id_number": other, "name": "劉洋"}]
    recs: list[dict[str, object]] = [
        {"id_number": own, "name": "刘洋"}, {"id_number": own, "name": "王伟"},
        {"id_number": other[:-1] + "0", "name": "刘洋"}, {"id_number": own[:-1], "name": "刘阳"}]
    cf, rf = claims_frame(claims), records_frame([*recs, *_FILLER])  # type: ignore[list-item]
    for floor in (0.3, 0.6, 0.9):
        every = fuzzy_links(cf, rf, min_score=0.0)
        got = fuzzy_links(cf, rf, min_score=floor)
        assert every.filter(pl.col("score") < floor).height > 0
        assert got.height > 0
        assert got.equals(every.filter(pl.col("score") >= floor))


def test_fuzzy_evidence_carries_the_records_source_key() -> None:
    from dupcheck.matchers import build_evidence

    own = make_id("371502", "19880930", "042")
    cf = claims_frame([{"claim_id": "A", "id_number": own[:-1] + ("1" if own[-1] != "1" else "2"),
                        "name": "刘洋"}])
    first: dict[str, object] = {"id_number": own, "name": "刘洋"}
    rf = records_frame([first, *_FILLER]).with_columns(  # type: ignore[list-item]
        (pl.lit("K") + pl.col("_row").cast(pl.String)).alias("source_key"))
    ev = build_evidence(cf, rf, MatchPolicy())
    fz = ev.filter(pl.col("match") == "fuzzy")
    assert fz.height == 1
    assert fz.row(0, named=True)["_row"] == 0 and fz.row(0, named=True)["source_key"] == "K0"
