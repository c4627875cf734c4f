"""SUSPICIOUS_COMMUNITY: a densely connected group mixing claimants, agencies and shared
identifiers, ranked by risk.

Method. The group graph links each claim to its claimant and to the capped identifiers it uses
(hubs over ``hub_cap``, allow-listed identifiers and enterprises' registered contacts are left
out, contract §4 Hubs), Neo4j-style shared-identifier rings. Connected components (engine) with at
least ``community_min_claimants`` distinct claimants are candidates; the enterprises of their
claims (declared agency and last employer, and the agency/employer of each claimant's last spell)
are attached, and a candidate needs at least one. A group larger than
``GraphPolicy.community_peel_above`` claimants is first peeled FRAUDAR-style (greedy removal of
the least-connected node, keeping the densest prefix) to its densest block. Risk follows FRAUDAR: each claim–object edge is
weighted 1 ÷ log(deg + 5), deg being the object's claims in the whole graph, so camouflage links
to big legitimate units weigh little; density = Σ weights ÷ nodes. Score = (1 − e^(−2·density))
× (0.5 + 0.5 × share of the group's claims that have screening findings, when evidence is given).
"""

from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np
import polars as pl

from dupcheck.graph.detectors._common import Context, empty_alerts, ent
from dupcheck.graph.detectors.agency_claim_spike import last_spells

PATTERN = "SUSPICIOUS_COMMUNITY"


def peel(links: list[tuple[str, str, float]]) -> set[str]:
    """FRAUDAR greedy peeling of a weighted bipartite graph (claim, object, weight): repeatedly
    drop the node of least weighted degree and keep the node set of highest density
    (Σ weights ÷ nodes). Returns the claims of the densest block. O(m log n); run on one large
    component at a time, never on the whole graph."""
    adj: dict[str, dict[str, float]] = defaultdict(dict)
    for c, o, w in links:
        a, b = "c\x1f" + c, "o\x1f" + o
        adj[a][b] = adj[a].get(b, 0.0) + w
        adj[b][a] = adj[b].get(a, 0.0) + w
    deg = {n: sum(nb.values()) for n, nb in adj.items()}
    total = sum(deg.values()) / 2
    alive = set(adj)
    heap = [(d, n) for n, d in sorted(deg.items())]
    heapq.heapify(heap)
    best, best_step, order = total / max(len(alive), 1), 0, []
    while alive:
        d, n = heapq.heappop(heap)
        if n not in alive or d != deg[n]:
            continue
        alive.discard(n)
        order.append(n)
        total -= deg[n]
        for m, w in adj[n].items():
            if m in alive:
                deg[m] -= w
                heapq.heappush(heap, (deg[m], m))
        if alive and total / len(alive) > best:
            best, best_step = total / len(alive), len(order)
    removed = set(order[:best_step])
    return {n[2:] for n in adj if n.startswith("c\x1f") and n not in removed}


def _peel_large(ctx: Context, members: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Replace each group with more than ``community_peel_above`` claimants by its densest block
    (still at least ``community_min_claimants`` claimants, or it is dropped)."""
    n = members.group_by("comp").agg(k=pl.col("pid").n_unique())
    big = n.filter(pl.col("k") > ctx.policy.community_peel_above).get_column("comp").to_list()
    if not big:
        return members
    deg = links.group_by("obj").agg(deg=pl.col("claim_id").n_unique())
    w = links.join(deg, on="obj").with_columns(w=1.0 / (pl.col("deg").cast(pl.Float64) + 5.0).log())
    keep: list[pl.DataFrame] = [members.filter(~pl.col("comp").is_in(big))]
    for comp in sorted(big):
        m = members.filter(pl.col("comp") == comp)
        sub = w.join(m.select("claim_id"), on="claim_id", how="semi").sort("claim_id", "obj")
        kept = peel(list(sub.select("claim_id", "obj", "w").iter_rows()))
        block = m.filter(pl.col("claim_id").is_in(sorted(kept)))
        if block.get_column("pid").n_unique() >= ctx.policy.community_min_claimants:
            keep.append(block)
    return pl.concat(keep)


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for identifier-linked claimant groups with an enterprise, ranked by density."""
    p = ctx.prep
    ties = ctx.person_ties().select("claim_id", "pid", "ident")
    if ties.height == 0:
        return empty_alerts()
    # links: claim -> person, claim -> identifier (only identifiers used by 2+ claims link anything)
    used = ties.group_by("ident").agg(k=pl.col("claim_id").n_unique()).filter(pl.col("k") >= 2)
    ties = ties.join(used.select("ident"), on="ident", how="semi")
    if ties.height == 0:
        return empty_alerts()
    claims = p.claims.select("claim_id", "pid").join(ties.select("claim_id").unique(), on="claim_id", how="semi")
    # all claims of the persons involved join too (one person's claims are one claimant)
    claims = p.claims.select("claim_id", "pid").join(claims.select("pid").unique(), on="pid", how="semi")
    links = pl.concat([
        claims.select("claim_id", ent("person", pl.col("pid")).alias("obj")),
        ties.select("claim_id", pl.col("ident").alias("obj")),
    ]).unique()
    cids = links.select("claim_id").unique().sort("claim_id").with_row_index("i")
    objs = links.select("obj").unique().sort("obj").with_row_index("j")
    e = links.join(cids, on="claim_id").join(objs, on="obj")
    nc = cids.height
    lab = ctx.engine.components(
        nc + objs.height,
        e.get_column("i").to_numpy().astype(np.int64),
        e.get_column("j").to_numpy().astype(np.int64) + nc,
    )
    cids = cids.with_columns(comp=pl.Series(lab[:nc]))
    cids = cids.join(claims, on="claim_id")
    size = cids.group_by("comp").agg(n=pl.col("pid").n_unique()).filter(
        pl.col("n") >= ctx.policy.community_min_claimants)
    if size.height == 0:
        return empty_alerts()
    members = cids.join(size.select("comp"), on="comp", how="semi").select("claim_id", "pid", "comp")
    members = _peel_large(ctx, members, links)
    if members.height == 0:
        return empty_alerts()

    # enterprises of the members' claims
    cl_ent = p.claims.select("claim_id", "agency_id", "last_employer_id")
    ls = last_spells(ctx).select("claim_id", pl.col("agency_id").alias("ls_agency"),
                                 pl.col("employer_id").alias("ls_unit"))
    ce = pl.concat([
        cl_ent.select("claim_id", pl.col("agency_id").alias("eid")),
        cl_ent.select("claim_id", pl.col("last_employer_id").alias("eid")),
        ls.select("claim_id", pl.col("ls_agency").alias("eid")),
        ls.select("claim_id", pl.col("ls_unit").alias("eid")),
    ]).drop_nulls().unique()
    ce = ctx.enterprise_entity("eid", ce).select("claim_id", pl.col("eid_ent").alias("obj"))

    # FRAUDAR-style weights: degree of each object over the whole claim graph
    all_links = pl.concat([ties.select("claim_id", pl.col("ident").alias("obj")), ce]).unique()
    deg = all_links.group_by("obj").agg(deg=pl.col("claim_id").n_unique())
    grp_links = members.select("claim_id", "comp").join(all_links, on="claim_id").join(deg, on="obj")
    grp_links = grp_links.with_columns(w=1.0 / (pl.col("deg").cast(pl.Float64) + 5.0).log())
    stats = grp_links.group_by("comp").agg(
        wsum=pl.col("w").sum(),
        n_obj=pl.col("obj").n_unique(),
        objs=pl.col("obj").unique().sort(),
        n_ent=pl.col("obj").filter(pl.col("obj").str.contains(r"^(agency|unit):")).n_unique(),
    ).filter(pl.col("n_ent") >= 1)
    mem = members.group_by("comp").agg(
        claims=pl.col("claim_id").unique().sort(),
        persons=pl.col("pid").unique().sort(),
    )
    g = stats.join(mem, on="comp")
    if g.height == 0:
        return empty_alerts()
    if ctx.flagged_claims is not None:
        fl = members.join(ctx.flagged_claims.select("claim_id").unique(), on="claim_id", how="semi")
        share = fl.group_by("comp").agg(f=pl.len())
        g = g.join(share, on="comp", how="left").with_columns(
            share=pl.col("f").fill_null(0) / pl.col("claims").list.len())
    else:
        g = g.with_columns(share=pl.lit(0.0))
    g = g.with_columns(density=pl.col("wsum") / (pl.col("claims").list.len() + pl.col("n_obj")))
    return g.select(
        pl.lit(PATTERN).alias("pattern"),
        ((1.0 - (-2.0 * pl.col("density")).exp()) * (0.5 + 0.5 * pl.col("share"))).alias("score"),
        pl.concat_list(
            pl.col("claims").list.eval(ent("claim", pl.element())),
            pl.col("persons").list.eval(ent("person", pl.element())),
            "objs",
        ).list.unique().list.sort().alias("entities"),
        pl.format("{} claimants on {} claims linked through {} shared identifiers with {} enterprise(s); "
                  "density {}, {} of claims with findings",
                  pl.col("persons").list.len(), pl.col("claims").list.len(),
                  pl.col("objs").list.eval(pl.element().str.contains(r"^(phone|account|address):"))
                  .list.sum(),
                  pl.col("n_ent"), pl.col("density").round(3),
                  (pl.col("share") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%").alias("detail"),
    )
