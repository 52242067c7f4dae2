"""What to tell whom, when, and how to sign it; pure Python (no Flask, SQLAlchemy or Kafka)."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from wangge_common import clock
from wangge_common.contracts import labels

AUDIENCES = ("reporter", "deputy", "department", "congress_staff", "public")
CHANNELS = ("inbox", "sms", "email", "webhook")
STATES = ("pending", "sent", "failed", "gave_up")


@dataclass(frozen=True)
class DefaultTemplate:
    """A built-in template: its Chinese title (e-mail subject), body, and the variables it may use, with samples."""

    title: str
    body: str
    variables: dict


_CASE = {"tracking_code": "WG7K3M9Q2P"}
DEFAULTS: dict[str, DefaultTemplate] = {
    "case.registered/reporter": DefaultTemplate(
        "问题已受理", "您反映的问题已受理，受理编号{{ tracking_code }}。我们将尽快交办处理，件件有答复，事事有回音。", _CASE),
    "case.registered/deputy": DefaultTemplate(
        "网格新收民情", "{{ grid_name }}新收{% if urgent %}【紧急】{% endif %}民情一件（受理编号{{ tracking_code }}）："
        "{{ content_excerpt }}。请按首问责任制跟进答复。",
        {**_CASE, "grid_name": "韶山村网格", "urgent": False, "content_excerpt": "村口路灯损坏"}),
    "case.triaged/reporter": DefaultTemplate(
        "问题已转办", "您反映的问题（受理编号{{ tracking_code }}）已转交{{ department }}办理，办理结果将及时告知您。",
        {**_CASE, "department": "镇村镇建设办"}),
    "case.triaged.manual/reporter": DefaultTemplate(
        "问题梳理中", "您反映的问题（受理编号{{ tracking_code }}）正在由工作人员梳理分办，结果将及时告知您。", _CASE),
    "case.assigned/reporter": DefaultTemplate(
        "问题已交办", "您反映的问题（受理编号{{ tracking_code }}）已交{{ departments }}办理。",
        {**_CASE, "departments": "镇村镇建设办"}),
    "case.answered/reporter": DefaultTemplate(
        "办理结果答复", "您反映的问题（受理编号{{ tracking_code }}）已办理答复：{{ summary }}",
        {**_CASE, "summary": "路灯已于今日修复。", "department": "镇村镇建设办"}),
    "case.answered/deputy": DefaultTemplate(
        "请向群众反馈", "民情（受理编号{{ tracking_code }}）已由{{ department }}答复：{{ summary }} 请及时向群众反馈并回访。",
        {**_CASE, "summary": "路灯已于今日修复。", "department": "镇村镇建设办"}),
    "case.evaluation_requested/reporter": DefaultTemplate(
        "请评价办理结果", "您反映的问题（受理编号{{ tracking_code }}）已办结，请对办理结果作出评价："
        "{{ rating_link }}（{{ expires_on }}前有效）",
        {**_CASE, "rating_link": "https://example.org/rate/abc", "expires_on": "2026年12月1日"}),
    "project.completed/reporter": DefaultTemplate(
        "民生微实事已完成", "您反映的问题（受理编号{{ tracking_code }}）已纳入民生微实事“{{ title }}”，现已完成：{{ result }}"
        " 请评价：{{ rating_link }}（{{ expires_on }}前有效）",
        {**_CASE, "title": "第一村民小组路灯安装", "result": "安装路灯 12 盏，已通电",
         "rating_link": "https://example.org/rate-project/abc", "expires_on": "2026年12月20日"}),
    "case.reopened/reporter": DefaultTemplate(
        "问题重新办理", "您反映的问题（受理编号{{ tracking_code }}）已重新交办，我们会继续跟进。",
        {**_CASE, "reopen_count": 1}),
    "case.reply_overdue/deputy": DefaultTemplate(
        "答复已逾期", "民情（受理编号{{ tracking_code }}）应于{{ due_at }}前答复群众，现已逾期，请尽快答复。",
        {**_CASE, "due_at": "2026年11月22日 17:00"}),
    "work_order.overdue/deputy": DefaultTemplate(
        "办理已逾期", "民情（受理编号{{ tracking_code }}）由{{ department }}办理，已超过办理期限（{{ due_at }}），请督促。",
        {**_CASE, "department": "镇村镇建设办", "due_at": "2026年11月22日 17:00"}),
    "work_order.dispatched/department": DefaultTemplate(
        "新工单", "{{ department }}：新工单（受理编号{{ tracking_code }}），{{ content_excerpt }}。请及时签收办理。",
        {**_CASE, "department": "镇村镇建设办", "content_excerpt": "村口路灯损坏"}),
    "work_order.dispatched.forward/congress_staff": DefaultTemplate(
        "县级事项待转办", "县级事项（受理编号{{ tracking_code }}）：{{ content_excerpt }}。拟交{{ department }}办理，"
        "请于{{ forward_due_at }}前核实并转办。",
        {**_CASE, "department": "县市场监督管理局", "content_excerpt": "农贸市场售卖过期食品",
         "forward_due_at": "2026年11月21日 17:00"}),
    "work_order.forwarded/department": DefaultTemplate(
        "镇人大转办工单", "{{ department }}：镇人大转办工单（受理编号{{ tracking_code }}），{{ content_excerpt }}。"
        "请于{{ sign_due_at }}前签收，{{ due_at }}前办结答复。",
        {**_CASE, "department": "县市场监督管理局", "content_excerpt": "农贸市场售卖过期食品",
         "sign_due_at": "2026年11月22日 17:00", "due_at": "2026年12月11日 17:00"}),
    "work_order.forward_overdue/congress_staff": DefaultTemplate(
        "县级事项超时未转办", "县级事项（受理编号{{ tracking_code }}）拟交{{ department }}办理，超过转办时限"
        "（{{ forward_due_at }}）仍未转办，请尽快核实转办。",
        {**_CASE, "department": "县市场监督管理局", "forward_due_at": "2026年11月21日 17:00"}),
    "case.answered/congress_staff": DefaultTemplate(
        "县级部门已答复", "镇人大转办的县级事项（受理编号{{ tracking_code }}）已由{{ department }}答复：{{ summary }}",
        {**_CASE, "department": "县市场监督管理局", "summary": "已立案调查，责令商户整改。"}),
    "work_order.due_soon/department": DefaultTemplate(
        "工单即将到期", "{{ department }}：工单（受理编号{{ tracking_code }}）将于{{ due_at }}到期，请抓紧办理。",
        {**_CASE, "department": "镇村镇建设办", "due_at": "2026年11月22日 17:00"}),
    "case.escalated/department": DefaultTemplate(
        "督办通知", "{{ department }}：民情（受理编号{{ tracking_code }}）已{{ step }}，原因：{{ reason }}。",
        {**_CASE, "department": "镇村镇建设办", "step": "催办", "reason": "逾期未办结"}),
    "case.escalated/congress_staff": DefaultTemplate(
        "民情升级", "民情（受理编号{{ tracking_code }}）已{{ step }}（{{ trigger }}），承办：{{ target }}。原因：{{ reason }}。",
        {**_CASE, "step": "督办", "trigger": "逾期", "target": "镇村镇建设办", "reason": "逾期未办结"}),
    "case.closed.not_rated/congress_staff": DefaultTemplate(
        "未评价办结", "民情（受理编号{{ tracking_code }}）已办结但群众未评价，请安排回访。", _CASE),
    "case.return_visit_due/deputy": DefaultTemplate(
        "请回访群众", "民情（受理编号{{ tracking_code }}）已答复，群众尚未评价，请于{{ due_at }}前回访，了解群众是否满意。",
        {**_CASE, "due_at": "2026年11月22日 17:00", "round": 1}),
    "work_order.overdue/department": DefaultTemplate(
        "工单已逾期", "{{ department }}：工单（受理编号{{ tracking_code }}）已超过办理期限（{{ due_at }}），请立即办理并答复。",
        {**_CASE, "department": "镇村镇建设办", "due_at": "2026年11月22日 17:00"}),
    "work_order.overdue/congress_staff": DefaultTemplate(
        "工单逾期", "民情（受理编号{{ tracking_code }}）由{{ department }}办理，已超过办理期限（{{ due_at }}），请督促办理。",
        {**_CASE, "department": "镇村镇建设办", "due_at": "2026年11月22日 17:00"}),
    "work_order.signing_overdue/department": DefaultTemplate(
        "工单超时未签收", "{{ department }}：工单（受理编号{{ tracking_code }}）超过签收时限（{{ sign_due_at }}）仍未签收，"
        "办理期限（{{ due_at }}）自派单起计算，请立即签收办理。",
        {**_CASE, "department": "镇村镇建设办", "sign_due_at": "2026年11月20日 17:00", "due_at": "2026年11月30日 17:00"}),
    "work_order.signing_overdue/congress_staff": DefaultTemplate(
        "工单超时未签收", "民情（受理编号{{ tracking_code }}）交{{ department }}办理，超过签收时限（{{ sign_due_at }}）仍未签收，"
        "请督促。",
        {**_CASE, "department": "镇村镇建设办", "sign_due_at": "2026年11月20日 17:00", "due_at": "2026年11月30日 17:00"}),
    "work_order.returned/congress_staff": DefaultTemplate(
        "工单被退回", "民情（受理编号{{ tracking_code }}）被{{ department }}退回，退回理由：{{ reason }}。请重新分办。",
        {**_CASE, "department": "镇村镇建设办", "reason": "不属于本单位职责"}),
    "work_order.extension_requested/congress_staff": DefaultTemplate(
        "延期申请待审批", "{{ department }}申请将民情（受理编号{{ tracking_code }}）的办理期限延至{{ requested_due_at }}，"
        "理由：{{ reason }}。请审批。",
        {**_CASE, "department": "镇村镇建设办", "requested_due_at": "2026年11月29日 17:00", "reason": "需等待配件"}),
    "work_order.extension_decided/department": DefaultTemplate(
        "延期申请审批结果", "{{ department }}：工单（受理编号{{ tracking_code }}）的延期申请{{ decision }}，"
        "办理期限为{{ due_at }}。{% if reason %}说明：{{ reason }}。{% endif %}",
        {**_CASE, "department": "镇村镇建设办", "decision": "已批准", "due_at": "2026年11月29日 17:00",
         "reason": "同意延期"}),
    "case.closed/reporter": DefaultTemplate(
        "问题已办结", "您反映的问题（受理编号{{ tracking_code }}）已办结{% if outcome %}（{{ outcome }}）{% endif %}。"
        "感谢您对人大代表工作的支持。",
        {**_CASE, "outcome": "满意"}),
    "reception.reminder/deputy": DefaultTemplate(
        "明日接待提醒", "代表您好：明天{{ starts_at }}至{{ ends_at }}在{{ place }}举行接待日活动，请按时到岗。",
        {"place": "韶山村代表联络站", "starts_at": "9:00", "ends_at": "11:00", "grid_name": "韶山村网格"}),
}

STEP_LABELS, TRIGGER_LABELS = labels.ESCALATION_STEPS, labels.ESCALATION_TRIGGERS
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
# Why a case was escalated, in words for people: the event's `reason` is the producer's note for the audit log and
# is shown only when a person wrote it (a manual escalation).
TRIGGER_REASONS = {"overdue": "工单超过办理期限仍未办结", "returned_repeatedly": "工单多次被退回，已达上限",
                   "reopened_repeatedly": "发回重办后群众仍不满意，已达重办上限", "unsatisfied": "群众对办理结果不满意",
                   "cannot_settle_in_grid": "网格内无法解决"}


def escalation_reason(trigger: str, reason: str) -> str:
    """The reason a person reads in an escalation message."""
    return TRIGGER_REASONS.get(trigger) or reason

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_compiled = lru_cache(maxsize=256)(_ENV.from_string)  # a handful of bodies, rendered for every message


class TemplateError(ValueError):
    """A template does not parse, or uses something its event does not provide."""


def check_template(key: str, body: str) -> None:
    """Reject a template that does not parse or that uses a variable the event does not provide."""
    if key not in DEFAULTS:
        raise TemplateError(f"no template key {key!r}; known keys: {', '.join(sorted(DEFAULTS))}")
    if not body.strip():
        raise TemplateError("a template cannot be empty")
    if not render(body, DEFAULTS[key].variables):
        raise TemplateError("the template renders an empty message for the sample values")


_DOUBLED_STOP = re.compile(r"([。！？])[。．.]+")


def render(body: str, variables: dict) -> str:
    """The message text; any failure of the template is a TemplateError. A value that ends in a full stop where
    the template adds one (原因：逾期未办结。。) keeps one."""
    try:
        return _DOUBLED_STOP.sub(r"\1", _compiled(body).render(**variables).strip())
    except TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error on line {exc.lineno}: {exc.message}") from exc
    except UndefinedError as exc:
        raise TemplateError(f"{exc.message}; this template may use: {', '.join(sorted(variables))}") from exc
    except SecurityError as exc:
        raise TemplateError(f"not allowed in a template: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - e.g. {{ tracking_code + 1 }}: a TypeError is the template's fault
        raise TemplateError(f"the template fails on these values: {type(exc).__name__}: {exc}") from exc


def excerpt(text: str | None, limit: int = 40) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def local_time(moment: datetime) -> str:
    """2026年11月22日 17:00, China time."""
    local = clock.local(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


# --- quiet hours and the SMS cap -------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuietHours:
    """No SMS to residents between `start` and `end`, Beijing time (wraps midnight when start > end)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> "QuietHours | None":
        """'21:00-08:00' → QuietHours; '' or 'off' → None."""
        if not text or text.strip().lower() == "off":
            return None
        start, _, end = text.partition("-")
        try:
            return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
        except ValueError as exc:
            raise ValueError(f"quiet hours must read like 21:00-08:00, got {text!r}") from exc

    def contains(self, moment: datetime) -> bool:
        now = clock.local(moment).time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_end(self, moment: datetime) -> datetime:
        """The first end of quiet hours after `moment`."""
        local = clock.local(moment)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(timezone.utc)


def local_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the Beijing calendar day holding `moment`."""
    local = clock.local(moment)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def next_day_morning(moment: datetime, quiet: QuietHours | None) -> datetime:
    """When a capped message may go: the next Beijing day, at the end of quiet hours (or 08:00)."""
    _, day_end = local_day_bounds(moment)
    morning = quiet.end if quiet else time(8, 0)
    return (clock.local(day_end).replace(hour=morning.hour, minute=morning.minute)).astimezone(timezone.utc)


def backoff(attempts: int, base_s: float, cap_s: float = 3600.0) -> timedelta:
    """Delay before attempt `attempts + 1`: base, 2·base, 4·base … capped."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def contact_key(secret: str, phone: str) -> str:
    """A keyed hash of a mobile number: the same person across cases (intake mints a reporter_ref per case), for
    the daily cap, without keeping the number."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return hmac.new(secret.encode(), f"sms:{digits}".encode(), hashlib.sha256).hexdigest()[:40]


def sign(secret: str, body: bytes) -> str:
    """The webhook signature header value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


def matches(patterns: list[str], event_type: str) -> bool:
    """Subscription filter: exact types, 'case.*' prefixes, or '*'."""
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
               for p in patterns)



class Retry(Exception):
    """A send failed for a reason that may pass (network, 5xx): try again later."""


class Permanent(Exception):
    """The message can never go (no phone number, rejected address): give up now."""

# --- what a message means, whatever the id of the event that caused it -----------------------------------------
# A producer that re-emits an event (a replayed registration, a re-run job) gives it a new id; the event-id key then
# lets a resident get "受理" twice. Each kind below names the fact a message tells: a second event of the same kind
# and the same parts is a resend, a new part (a new round, a new work order, a new deadline) is news worth telling.
_MEANING_PARTS = {
    "case.registered": lambda d, r: (),                                 # registered once per case
    "case.triaged": lambda d, r: (),                                    # registered → triaged happens once
    "case.closed": lambda d, r: (),                                     # closed is final
    "case.assigned": lambda d, r: tuple(sorted(o["work_order_id"] for o in d["work_orders"])),
    "case.answered": lambda d, r: (r,),                                 # once per round of handling (重办 starts one)
    "case.reopened": lambda d, r: (d["reopen_count"],),
    "case.evaluation_requested": lambda d, r: (d["round"],),
    "case.return_visit_due": lambda d, r: (d["round"],),
    "case.reply_overdue": lambda d, r: (d["due_at"],),
    "case.escalated": lambda d, r: (d["step"], d["trigger"], d.get("work_order_id") or ""),
    "work_order.dispatched": lambda d, r: (d["work_order_id"],),
    "work_order.forwarded": lambda d, r: (d["work_order_id"],),           # forwarded once
    "work_order.forward_overdue": lambda d, r: (d["work_order_id"], d["forward_due_at"]),
    "work_order.due_soon": lambda d, r: (d["work_order_id"], d["due_at"]),
    "work_order.overdue": lambda d, r: (d["work_order_id"], d["due_at"]),
    "work_order.returned": lambda d, r: (d["work_order_id"],),             # a returned order is finished
    "work_order.extension_requested": lambda d, r: (d["work_order_id"], d["requested_due_at"]),
    "work_order.extension_decided": lambda d, r: (d["work_order_id"], d["requested_due_at"] if "requested_due_at"
                                                  in d else "", d["approved"], d["due_at"]),
}
MEANING_KEY_LENGTH = 200
ONCE_PER_CASE = ("case.registered", "case.triaged", "case.closed")  # a second message of these is always a double


def meaning_key(event_type: str, data: dict, *, reopen_count: int = 0) -> str | None:
    """`case.registered:<case id>`, `case.answered:<case id>:<round>` …: one message per meaning, recipient and
    channel; None for kinds where only the event id says what is new. `reopen_count` is the case's round of handling
    as notify knows it (case.answered carries none)."""
    parts = _MEANING_PARTS.get(event_type)
    if parts is None or not data.get("case_id"):
        return None
    key = ":".join([event_type, str(data["case_id"]), *(str(p) for p in parts(data, reopen_count))])
    if len(key) > MEANING_KEY_LENGTH:  # many work orders: keep the key bounded, still the same for the same parts
        key = f"{event_type}:{data['case_id']}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key
