"""The forms of the township office and department desks (WTForms through Flask-WTF: CSRF token on each), with
Chinese reasons beside each field. Choices that come from the services (departments, deputies) are set by the view."""
from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from wangge_common.contracts.labels import labels

from .domain import CHINA
from .schemas import REQUIRED, options

REASON = [DataRequired(REQUIRED), Length(2, 500, message="2 至 500 字")]
LOCAL_TIME = "%Y-%m-%d %H:%M"


def _labelled(kind: str, codes) -> list:
    return options((code, labels(kind)[code]) for code in codes)


class TriageForm(FlaskForm):
    """分办: one of routing's paths, with what that path needs."""

    path = RadioField("分办方式", choices=_labelled("triage_path", ("on_the_spot", "town", "county",
                                                                   "joint_mediation", "major_issue")),
                      validators=[InputRequired("请选择分办方式")])
    department = SelectField("承办部门", validate_choice=False, validators=[Optional()])
    lead = SelectField("牵头单位", validate_choice=False, validators=[Optional()])
    members = SelectMultipleField("配合单位", validate_choice=False, validators=[Optional()])
    mediators = StringField("调解员、法律服务人员（用顿号或逗号分隔）", validators=[Optional(), Length(max=300)])
    deputy = SelectField("代表", validate_choice=False, validators=[Optional()])
    summary = TextAreaField("现场解答内容", validators=[Optional(), Length(max=2000, message="不超过 2000 字")])
    reason = TextAreaField("分办理由", validators=REASON)

    def mediator_names(self) -> list[str]:
        raw = (self.mediators.data or "").replace("，", ",").replace("、", ",")
        return [name.strip() for name in raw.split(",") if name.strip()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        path = self.path.data

        def need(field, reason):
            nonlocal ok
            field.errors = [*field.errors, reason]
            ok = False

        if path in ("town", "county") and not self.department.data:
            need(self.department, "请选择承办部门")
        if path == "joint_mediation":
            if not self.lead.data:
                need(self.lead, "请选择牵头单位")
            if not [m for m in self.members.data or [] if m != self.lead.data]:
                need(self.members, "联合调处至少还需要一个配合单位")
            if not self.mediator_names():
                need(self.mediators, "请填写至少一名调解员")
            if not self.deputy.data:
                need(self.deputy, "请选择召集调处的代表")
        if path == "on_the_spot":
            if not self.deputy.data:
                need(self.deputy, "请选择现场解答的代表")
            if len((self.summary.data or "").strip()) < 2:
                need(self.summary, "请写明现场解答的内容")
        return ok


class SuperviseForm(FlaskForm):
    step = RadioField("督办方式", choices=_labelled("escalation_step", ("reminder", "supervision", "escalation")),
                      validators=[InputRequired("请选择催办、督办或提级督办")])
    reason = TextAreaField("督办理由", validators=REASON)


class ForwardForm(FlaskForm):
    """转办: the township congress forwards a county matter to the county department (its own step)."""

    reason = TextAreaField("转办说明", validators=REASON)


class ExtensionDecisionForm(FlaskForm):
    decision = RadioField("审批意见", choices=options((("approve", "同意延期"), ("refuse", "不同意"))),
                          validators=[InputRequired("请选择同意或不同意")])
    reason = TextAreaField("审批理由", validators=REASON)


class ReturnVisitForm(FlaskForm):
    rating = RadioField("群众评价", choices=_labelled("rating", ("satisfied", "basically_satisfied", "unsatisfied")),
                        validators=[InputRequired("请选择群众的评价")])
    comment = TextAreaField("回访记录（群众原话要点）", validators=[Optional(), Length(max=1000, message="不超过 1000 字")])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)  # Optional() ends the comment's own chain when it is empty
        if self.rating.data == "unsatisfied" and not (self.comment.data or "").strip():
            self.comment.errors = [*self.comment.errors, "群众不满意时，请记录不满意的原因（将发回重办）"]
            ok = False
        return ok


class ReasonForm(FlaskForm):
    """签收 / 开始办理: an optional note."""

    reason = TextAreaField("说明（可选）", validators=[Optional(), Length(max=500, message="不超过 500 字")])


class ReturnForm(FlaskForm):
    reason = TextAreaField("退单理由", validators=REASON)


class AnswerForm(FlaskForm):
    summary = TextAreaField("办理结果", validators=[DataRequired(REQUIRED), Length(5, 2000, message="5 至 2000 字")])
    photo = MultipleFileField("附件（可选，最多 3 张 JPG 或 PNG 照片，每张不超过 5 MB）")
    # the lead department of a joint mediation (联合调处) records the mediated outcome with its answer
    outcome = SelectField("调处结果", choices=options([("", "请选择")] + list(labels("mediation_outcome").items())),
                          validators=[Optional()])
    mediators = StringField("参与调处的调解员（用顿号或逗号分隔）", validators=[Optional(), Length(max=300)])

    def mediation(self, required: bool) -> dict | None:
        """The mediated outcome, when this order leads a joint mediation (the reasons beside the fields if not)."""
        names = [n.strip() for n in (self.mediators.data or "").replace("，", ",").replace("、", ",").split(",")
                 if n.strip()]
        if not required:
            return None
        if not self.outcome.data:
            self.outcome.errors = [*self.outcome.errors, "牵头单位须选择调处结果"]
        if not names:
            self.mediators.errors = [*self.mediators.errors, "请填写参与调处的调解员"]
        return {"outcome": self.outcome.data, "mediators": names} if self.outcome.data and names else None


class ExtensionForm(FlaskForm):
    requested = StringField("申请延期至", validators=[DataRequired(REQUIRED)])
    reason = TextAreaField("延期理由", validators=REASON)

    def validate_requested(self, field):
        try:
            wanted = datetime.strptime(field.data.strip(), LOCAL_TIME).replace(tzinfo=CHINA)
        except ValueError:
            raise ValidationError("请按“2026-12-10 17:00”的格式填写日期和时间") from None
        if wanted <= datetime.now(CHINA):
            raise ValidationError("延期后的期限须晚于现在")
        self.requested_at = wanted


# --- 接待安排: a reception schedule (roster's reception rule) --------------------------------------------------
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")  # roster's weekday 0 … 6
HHMM = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间格式如 09:00")
MIN_RECEPTION_MINUTES = 120  # a reception lasts at least two hours (roster checks it too)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class ScheduleChangeForm(FlaskForm):
    """What a schedule uses for the days it publishes from now on (roster's PATCH): place, hours, the duty rota."""

    place = StringField("接待地点", description="可不填：默认用网格或联络站的名称",
                        validators=[Optional(), Length(max=200, message="不超过 200 字")])
    start_time = StringField("开始时间", validators=[DataRequired(REQUIRED), HHMM])
    end_time = StringField("结束时间", description="每次接待至少 2 小时", validators=[DataRequired(REQUIRED), HHMM])
    deputies = SelectMultipleField("值班代表", validate_choice=False,
                                   validators=[DataRequired("请至少选择一名值班代表")])
    rotation = RadioField("值班方式", choices=options((("together", "选中的代表每次一同值班"),
                                                      ("rotate", "选中的代表轮流值班（每次一人）"))),
                          default="together", validators=[InputRequired("请选择值班方式")])
    two_representatives = BooleanField("两代表同时接待（须有一名党代表值班）")

    def rota(self) -> list[list[str]]:
        chosen = list(dict.fromkeys(self.deputies.data or []))
        return [[d] for d in chosen] if self.rotation.data == "rotate" else [chosen]

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) & lasts_two_hours(self)


def lasts_two_hours(form) -> bool:
    """A reception lasts at least 2 hours (000): else the reason beside the end time, and False."""
    if form.start_time.errors or form.end_time.errors or not (form.start_time.data and form.end_time.data):
        return True
    if _minutes(form.end_time.data) - _minutes(form.start_time.data) >= MIN_RECEPTION_MINUTES:
        return True
    form.end_time.errors = [*form.end_time.errors, "每次接待至少 2 小时，结束时间须比开始时间晚 2 小时以上"]
    return False


class ScheduleForm(ScheduleChangeForm):
    """A new schedule at one of the township's grids or liaison stations (`station:<id>`); roster publishes its days
    for the weeks chosen."""

    grid_id = SelectField("网格或联络站", validate_choice=False, validators=[DataRequired("请选择网格或联络站")])
    pattern = RadioField("接待周期", choices=options((("monthly", "每月固定日期"), ("weekly", "每周固定一天"))),
                         default="monthly", validators=[InputRequired("请选择接待周期")])
    month_days = StringField("每月几日", description="用顿号或逗号分开，最多 4 个，如：10、25",
                             validators=[Optional(), Length(max=40, message="过长")])
    weekday = SelectField("每周星期几", choices=options([("", "请选择")] + [(str(i), w) for i, w in enumerate(WEEKDAYS)]),
                          validators=[Optional()])
    weeks = SelectField("发布今后几周的接待日", choices=options((str(w), f"{w} 周") for w in (4, 8, 12, 26)),
                        default="8", validators=[DataRequired(REQUIRED)])

    def days_of_month(self) -> list[int]:
        raw = (self.month_days.data or "")
        for sep in "，、 ；;":
            raw = raw.replace(sep, ",")
        return [int(p) for p in raw.split(",") if p.strip()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.pattern.data == "monthly":
            try:
                days = self.days_of_month()
            except ValueError:
                days = None
            if not days or len(days) > 4 or any(not 1 <= d <= 31 for d in days):
                self.month_days.errors = [*self.month_days.errors, "请填写 1 至 31 之间的日期，最多 4 个，如：10、25"]
                ok = False
        if self.pattern.data == "weekly" and not self.weekday.data:
            self.weekday.errors = [*self.weekday.errors, "每周接待请选择星期几"]
            ok = False
        return ok


class DayChangeForm(FlaskForm):
    """One published reception day changed or cancelled, with the reason the grid's notice shows (roster's PATCH)."""

    day = StringField("接待日期", validators=[DataRequired(REQUIRED),
                                          Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式如 2026-12-05")])
    start_time = StringField("开始时间", validators=[DataRequired(REQUIRED), HHMM])
    end_time = StringField("结束时间", validators=[DataRequired(REQUIRED), HHMM])
    place = StringField("接待地点", validators=[DataRequired(REQUIRED), Length(max=200, message="不超过 200 字")])
    deputies = SelectMultipleField("值班代表", validate_choice=False,
                                   validators=[DataRequired("请至少选择一名值班代表")])
    cancel = BooleanField("取消这次接待")
    reason = TextAreaField("调整原因（公示中会写明）", validators=REASON)

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) & lasts_two_hours(self)
