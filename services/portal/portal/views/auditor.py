"""The auditor desk (审计): verify the log, look up a case's events (with the people behind person:<id> actors
named), download the export `wangge replay --file` takes, fetch inclusion and consistency proofs — reporting's
audit API, for a person."""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, stream_with_context

from .. import queries
from ..clients import ServiceError
from . import caller, runtime, signed_in
from .entities import page_number

auditor = Blueprint("auditor", __name__, url_prefix="/auditor")
ACTOR_KINDS = {"person": "", "apikey": "系统接口 ", "resident": "群众 ", "system": "系统 ", "service": ""}
SERVICES = {"roster": "名册服务", "intake": "受理服务", "routing": "分办服务", "notify": "通知服务", "reporting": "统计服务",
            "online-station": "网上联络站", "portal": "门户"}


# The standing alarms reporting raises (GET /v1/audit/alarms), as an auditor reads them.
ALARMS = {"checkpoint": "审计日志与最近的签名检查点不符，已停止签发新的检查点",
          "projection_differs": "统计数据与审计日志重放的结果不一致（统计表可能被直接改动）",
          "projection_error": "定时的统计数据核对未能运行",
          "reconcile_missing": "定时对账发现已受理的诉求在下游缺失或重复",
          "reconcile_error": "定时对账未能运行"}


@auditor.context_processor
def standing_alarms() -> dict:
    """Every auditor page says what reporting found wrong (告警) until it is put right: auditors are told by the
    desk they work at, beside the alert operators get."""
    try:
        found = runtime().services.get(caller(), "reporting", "/v1/audit/alarms")
    except ServiceError:
        return {"alarms": [{"text": "无法读取审计告警：统计服务暂时无法访问", "detail": "", "at": None}]}
    return {"alarms": [{"text": ALARMS.get(a["kind"], a["kind"]), "detail": a["detail"], "at": a.get("at")}
                       for a in found]}


def _number(name: str, problems: dict, *, required: bool = False) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        if required:
            problems[name] = "请填写"
        return None
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
        problems[name] = "请填写正整数（日志序号从 1 开始）"
        return None
    return int(raw)


def _checkpoints() -> dict:
    """The newest signed checkpoints (reporting lists them oldest first: read the last page)."""
    services, me = runtime().services, caller()
    first = services.get(me, "reporting", "/v1/audit/checkpoints", page_size=10)
    last_page = max(1, -(-first["total"] // 10))
    found = first if last_page == 1 else services.get(me, "reporting", "/v1/audit/checkpoints", page=last_page,
                                                      page_size=10)
    return {"total": first["total"], "items": list(reversed(found["items"]))}


@auditor.get("")
@signed_in("auditor")
def home():
    """审计首页: the log's newest signed checkpoints and every operation's form."""
    return render_template("auditor/home.html", checkpoints=_checkpoints())


# What reporting's verify found, in Chinese by the kind of break (its own words are shown beside, for the record).
BREAKS = (("checkpoint", "签名检查点不符：签名无效，或该规模下重算的根哈希与签名的根哈希不同"),
          ("Merkle node", "默克尔树的存储节点与记录重算的结果不一致"),
          ("chain head", "链头与日志最后一条记录不一致"),
          ("missing", "记录缺失"), ("position", "记录缺失或顺序被打乱"), ("order", "记录顺序被打乱"),
          ("hash", "记录内容被改动：哈希值与重算结果不符"))


def break_in_chinese(reason: str | None) -> str:
    return next((text for key, text in BREAKS if key in (reason or "")), "记录与哈希链或默克尔树不一致")


@auditor.get("/verify")
@signed_in("auditor")
def verify():
    """Recompute the chain, the Merkle tree and every checkpoint (reporting's /v1/audit/verify)."""
    result = runtime().services.get(caller(), "reporting", "/v1/audit/verify")
    reason = break_in_chinese((result.get("first_bad") or {}).get("reason")) if not result["valid"] else None
    return render_template("auditor/verify.html", result=result, reason=reason)


@auditor.get("/events")
@signed_in("auditor")
def events():
    """A case's events (by tracking code or case id), or the log by event type, with the actors named."""
    code, subject, event_type = _arg("code").upper(), _arg("subject"), _arg("type") or None
    problems, found, case = {}, None, None
    if code and not subject:
        case = _case_with_code(code)
        if case:
            subject = case["id"]
        else:
            problems["code"] = "没有这个查询码的诉求"
    if not problems and (subject or event_type or request.args.get("all")):
        found = _logged_events(subject, event_type, problems)
    entries = [_entry(e) for e in found["items"]] if found else []
    _name_actors(entries)
    return render_template("auditor/events.html", found=found, entries=entries, code=code, subject=subject,
                           event_type=event_type or "", case=case, problems=problems), 422 if problems else 200


def _arg(name: str) -> str:
    return (request.args.get(name) or "").strip()


def _case_with_code(code: str) -> dict | None:
    """intake's case with this tracking code (查询码), if there is one."""
    matches = runtime().services.get(caller(), "intake", "/v1/cases", tracking_code=code, page_size=1)["items"]
    return matches[0] if matches else None


def _logged_events(subject: str, event_type: str | None, problems: dict) -> dict | None:
    """A page of reporting's audit events of the subject or type; what it refuses goes beside the field it names."""
    try:
        return runtime().services.get(caller(), "reporting", "/v1/audit/events", subject=subject or None,
                                      type=event_type, page=page_number(), page_size=50)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        problems.update({e.get("field", "subject"): "填写有误，请检查" for e in exc.errors})
        return None


def _entry(entry: dict) -> dict:
    event = entry.get("event") or {}
    return {**entry, "actor": event.get("actor"), "time": event.get("time") or entry.get("event_time")}


def _name_actors(entries: list[dict]) -> None:
    """`person:<id>` actors by the name and role of the portal account (the portal knows its people)."""
    ids = {e["actor"].split(":", 1)[1] for e in entries if (e["actor"] or "").startswith("person:")}
    with runtime().db.sessions() as db:
        people = {a.id: a for a in (queries.account(db, i) for i in ids) if a is not None}
    for entry in entries:
        kind, _, ident = (entry["actor"] or "").partition(":")
        person = people.get(ident) if kind == "person" else None
        entry["actor_name"] = (f"{person.display_name}" if person else
                               "未知账户" if kind == "person" else
                               f"{ACTOR_KINDS.get(kind, '')}{SERVICES.get(ident, ident) or '（未记录）'}")
        entry["actor_role"] = person.role if person else None


@auditor.get("/proofs/inclusion")
@signed_in("auditor")
def inclusion():
    """An RFC 9162 inclusion proof of one entry (by position or event id) in the tree of a given size."""
    problems: dict = {}
    event_id = (request.args.get("event_id") or "").strip() or None
    seq, size = _number("seq", problems), _number("tree_size", problems)
    if not problems and (seq is None) == (event_id is None):
        problems["seq"] = "请填写日志序号或事件编号中的一项"
    return _proof("inclusion", problems, seq=seq, event_id=event_id, tree_size=size)


@auditor.get("/proofs/consistency")
@signed_in("auditor")
def consistency():
    """An RFC 9162 consistency proof: the tree of `second` entries extends the tree of `first`."""
    problems: dict = {}
    first, second = _number("first", problems, required=True), _number("second", problems)
    if first and second and first > second:
        problems["second"] = "后一个规模不能小于前一个"
    return _proof("consistency", problems, first=first, second=second)


def _proof(kind: str, problems: dict, **params):
    proof = None
    if not problems:
        try:
            proof = runtime().services.get(caller(), "reporting", f"/v1/audit/proofs/{kind}", **params)
        except ServiceError as exc:
            if exc.status not in (404, 409, 422):
                raise
            problems = _refusal(kind, exc)
    if proof is not None and request.args.get("format") == "json":
        return Response(json.dumps(proof, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{kind}-proof.json"'})
    return render_template("auditor/proof.html", kind=kind, proof=proof, problems=problems,
                           typed=request.args), 422 if problems else 200


def _refusal(kind: str, exc: ServiceError) -> dict:
    """reporting's refusal in Chinese, beside the field it names."""
    if exc.status == 404:
        return {"event_id" if request.args.get("event_id") else "seq": "日志中没有这条记录"}
    fields = [e.get("field") for e in exc.errors if e.get("field")] or (["seq"] if kind == "inclusion" else ["first"])
    return {field: "超出日志现有规模，或与其他填写的数不相符" for field in fields}


@auditor.get("/export")
@signed_in("auditor")
def export():
    """The whole log as JSON Lines (reporting's export), streamed through: it can be millions of lines."""
    rt = runtime()
    upstream = rt.services.http.get(rt.services.urls["reporting"] + "/v1/audit/export", stream=True,
                                    timeout=rt.services.timeout,
                                    headers={"Authorization": f"Bearer {rt.services.token(caller())}"})
    if upstream.status_code != 200:
        upstream.close()
        raise ServiceError("reporting", upstream.status_code, "export refused")

    def chunks():
        with upstream:
            yield from upstream.iter_content(64 * 1024)

    return Response(stream_with_context(chunks()), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.jsonl"'})
