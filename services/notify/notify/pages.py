"""Public Chinese pages: the printable board (公示栏) with its RSS feed, and the resident's rating page (评价)."""
from __future__ import annotations

import re
from email.utils import format_datetime

import requests
from flask import Blueprint, Response, render_template, request

from wangge_common import clock
from wangge_common.auth import public
from wangge_common.contracts import labels
from wangge_common.errors import NotFound
from wangge_common.http import runtime

from . import domain, queries

pages = Blueprint("pages", __name__, template_folder="templates")

STATUSES = {"scheduled": "如期举行", "changed": "时间地点有调整", "cancelled": "已取消"}
CATEGORIES = labels.CATEGORIES
OUTCOMES = {**domain.RATINGS, "not_rated": "未评价", "withdrawn": "已撤回"}
TOKEN = re.compile(r"^[A-Za-z0-9_\-\.]{8,300}$")


def _hm(moment):
    return clock.local_text(moment, "%H:%M")


def _board(scope: str, board_id: str):
    with runtime().db.sessions() as session:
        try:
            return queries.board(session, scope=scope, board_id=board_id)
        except NotFound:
            return None


def _render_board(scope: str, board_id: str, rss: bool):
    found = _board(scope, board_id)
    if found is None:
        return render_template("notice.html", heading="公示栏", message="未找到该公示栏，请核对网址。"), 404
    plural = "grids" if scope == "grid" else "stations"
    context = dict(board=found, local=domain.local_time, hm=_hm, statuses=STATUSES, categories=CATEGORIES,
                   outcomes=OUTCOMES, rfc822=format_datetime,
                   page_url=request.host_url.rstrip("/") + f"/board/{plural}/{board_id}",
                   rss_url=f"/board/{plural}/{board_id}.rss", json_url=f"/v1/board/{plural}/{board_id}")
    if rss:
        return Response(render_template("board.rss.xml", **context), mimetype="application/rss+xml")
    return render_template("board.html", **context)


@pages.get("/board/grids/<grid_id>")
@public
def grid_board(grid_id):
    """A grid's board as a printable page."""
    return _render_board("grid", grid_id.removesuffix(".rss"), rss=grid_id.endswith(".rss"))


@pages.get("/board/stations/<station_id>")
@public
def station_board(station_id):
    """A liaison station's board as a printable page."""
    return _render_board("station", station_id.removesuffix(".rss"), rss=station_id.endswith(".rss"))


# --- rating -------------------------------------------------------------------------------------------------------
def _routing(method: str, token: str, path: str = "/v1/evaluations", **kwargs) -> requests.Response | None:
    config = runtime().state.settings
    try:
        key = runtime().settings.service_key  # routing does not count keyed callers against its per-address limit
        return requests.request(method, f"{config.routing_url}{path}/{token}",
                                headers={"Authorization": f"Bearer {key}"} if key else {},
                                timeout=config.http_timeout_s, **kwargs)
    except requests.RequestException:
        return None


GONE = {404: "该评价链接无效，请核对短信中的链接。", 409: "该事项已经评价过，感谢您的参与。",
        410: "该评价链接已过期或已使用。如需评价，请联系您所在网格的人大代表。"}


def _page(status: int, **context):
    return render_template("rate.html", ratings=domain.RATINGS, label=labels.label, **context), status


@pages.get("/rate/<token>")
@public
def rate(token):
    """The page the 'please rate' message links to: 满意 / 基本满意 / 不满意 and a comment."""
    if not TOKEN.match(token):
        return _page(404, message=GONE[404], failed=True)
    answer = _routing("GET", token)
    if answer is None or answer.status_code >= 500:
        return _page(503, message="系统繁忙，请稍后再打开此链接。", failed=True)
    if answer.status_code in GONE:
        return _page(answer.status_code, message=GONE[answer.status_code], failed=True)
    evaluation = answer.json() if answer.status_code == 200 else {}
    if evaluation.get("open") is False:
        return _page(410, evaluation=evaluation, message=GONE[410], failed=True)
    return _page(200, evaluation=evaluation, show_form=True)


def limited_page(wait_s: int):
    """What a resident sees after too many submissions from one address (429), in Chinese."""
    return render_template("rate.html", ratings=domain.RATINGS, failed=True,
                           message=f"提交过于频繁，请约 {wait_s} 秒后再试。")


@pages.post("/rate/<token>")
@public
def submit_rating(token):
    """Forwards the resident's choice to routing, server to server; the token is the credential."""
    if not TOKEN.match(token):
        return _page(404, message=GONE[404], failed=True)
    rating, comment = request.form.get("rating", ""), request.form.get("comment", "").strip()
    if rating not in domain.RATINGS:
        return _page(422, show_form=True, comment=comment, message="请选择“满意”、“基本满意”或“不满意”。", failed=True)
    if len(comment) > 500:
        return _page(422, show_form=True, chosen=rating, comment=comment, message="意见建议请控制在500字以内。",
                     failed=True)
    body = {"rating": rating} | ({"comment": comment} if comment else {})
    answer = _routing("POST", token, json=body)
    if answer is None or answer.status_code >= 500:
        return _page(503, show_form=True, chosen=rating, comment=comment,
                     message="提交未成功，请稍后再试。您的选择已保留在页面上。", failed=True)
    if answer.status_code in GONE:
        return _page(answer.status_code, message=GONE[answer.status_code], failed=True)
    if answer.status_code >= 400:
        return _page(422, show_form=True, chosen=rating, comment=comment, message="提交内容有误，请检查后重试。",
                     failed=True)
    return _page(200, message=f"评价已提交：{domain.RATINGS[rating]}。感谢您的评价！件件有答复，事事有回音。")


# --- rating a micro livelihood project (民生微实事) ------------------------------------------------------------------
PROJECT_GONE = {404: "该评价链接无效，请核对短信中的链接。", 409: "您已经评价过这个项目，感谢您的参与。",
                410: "该评价链接已过期。如有意见，请联系您所在网格的人大代表。"}


def _project_page(status: int, **context):
    return render_template("rate_project.html", ratings=domain.RATINGS, **context), status


def _project_link(method: str, token: str, **kwargs):
    """routing's answer about the link, or the page to show instead."""
    if not TOKEN.match(token):
        return None, _project_page(404, message=PROJECT_GONE[404], failed=True)
    answer = _routing(method, token, path="/v1/project-ratings", **kwargs)
    if answer is None or answer.status_code >= 500:
        return None, _project_page(503, message="系统繁忙，请稍后再试。", failed=True, chosen=kwargs.get("json", {}).get("rating"))
    if answer.status_code in PROJECT_GONE:
        return None, _project_page(answer.status_code, message=PROJECT_GONE[answer.status_code], failed=True)
    if answer.status_code >= 400:
        return None, _project_page(422, message="提交内容有误，请检查后重试。", failed=True, show_form=True)
    return answer.json(), None


@pages.get("/rate-project/<token>")
@public
def rate_project(token):
    """The page the 'project completed' message links to: the project's result and 满意 / 基本满意 / 不满意."""
    link, page = _project_link("GET", token)
    if page is not None:
        return page
    if link["status"] != "open":
        return _project_page(410 if link["status"] == "expired" else 409, link=link,
                             message=PROJECT_GONE[410 if link["status"] == "expired" else 409], failed=True)
    return _project_page(200, link=link, show_form=True)


@pages.post("/rate-project/<token>")
@public
def submit_project_rating(token):
    rating = request.form.get("rating", "")
    if rating not in domain.RATINGS:
        link, page = _project_link("GET", token)
        return page if page is not None else _project_page(422, link=link, show_form=True, failed=True,
                                                           message="请选择“满意”、“基本满意”或“不满意”。")
    link, page = _project_link("POST", token, json={"rating": rating})
    if page is not None:
        return page
    return _project_page(200, link=link, message=f"评价已提交：{domain.RATINGS[rating]}。感谢您的评价！")
