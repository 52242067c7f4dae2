"""The excellent-grid ranking (优秀代表网格): the documented formula and who is named. Pure."""
from __future__ import annotations

import math

# score in 0..1, shown to people as 0..100 points: a grid never scores below zero. A missing rate counts as 0, except
# the reopen rate, which is 0 (nothing reopened) when missing.
RANKING_WEIGHTS = {"closure_rate": 0.35, "satisfaction_rate": 0.35, "on_time_closure_rate": 0.2, "reopen_rate": 0.1}
LOWER_IS_BETTER = ("reopen_rate",)
RANKING_FORMULA = ("score = 0.35 × closure_rate + 0.35 × satisfaction_rate + 0.20 × on_time_closure_rate "
                   "+ 0.10 × (1 − reopen_rate), rates in 0..1 (a missing rate counts as 0, a missing reopen rate as "
                   "no reopening), so 0 ≤ score ≤ 1; grids with fewer cases than the minimum are listed but not "
                   "ranked; the top 10 % of ranked grids (rounded up, at least one) are named 优秀代表网格; ties are "
                   "broken by more cases, then by grid code")
RANKING_FORMULA_ZH = ("综合得分（百分制）= 办结率 × 35 + 满意率 × 35 + 按时办结率 × 20 + （1 − 发回重办率）× 10。"
                      "某项暂无数据的按 0 计（发回重办率暂无数据的按无重办计），得分在 0 至 100 分之间。"
                      "全年受理件数不少于 {min_cases} 件的网格参加评比，按得分从高到低排名，"
                      "排名前 10%（向上取整，至少 1 个）的网格评为“优秀代表网格”；"
                      "得分相同的，受理件数多的在前，再按网格编号排列。")


def rank_grids(rows: list[dict], min_cases: int) -> list[dict]:
    """Rank grids by the documented formula; each row carries grid_id, code, name and its KPI row."""
    ranked, unranked = [], []
    for row in rows:
        score = sum(w * (1 - (row["kpis"][k] or 0) if k in LOWER_IS_BETTER else row["kpis"][k] or 0)
                    for k, w in RANKING_WEIGHTS.items())
        item = dict(row, score=round(score, 4), rank=None, excellent=False)
        (ranked if row["kpis"]["cases"] >= min_cases else unranked).append(item)
    ranked.sort(key=lambda r: (-r["score"], -r["kpis"]["cases"], r["code"] or ""))
    named = math.ceil(len(ranked) * 0.10) if ranked else 0
    for position, item in enumerate(ranked, 1):
        item["rank"], item["excellent"] = position, position <= named
    unranked.sort(key=lambda r: r["code"] or "")
    return ranked + unranked
