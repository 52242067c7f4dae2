"""The forms of the deputy's duty record page (履职登记)."""
from __future__ import annotations

from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .domain import CHINA
from .schemas import REQUIRED, _choices

DATE = Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式如 2026-12-05")


def not_after_today(field) -> bool:
    """A date typed as 2026-12-05 that is a real day, today or before (China time); else its reason beside it."""
    if not field.data or field.errors:
        return True
    try:
        day = date.fromisoformat(field.data)
    except ValueError:
        field.errors = ["不是有效的日期"]
        return False
    if day > datetime.now(CHINA).date():
        field.errors = ["日期不能晚于今天"]
        return False
    return True


class DutyForm(FlaskForm):
    """One entry of the duty record: what was done, when, and for a suggestion the department it went to."""

    kind = SelectField("事项", choices=_choices("duty_kind"), validators=[DataRequired(REQUIRED)])
    occurred_on = StringField("日期", validators=[DataRequired(REQUIRED), DATE])
    title = StringField("标题", validators=[DataRequired(REQUIRED), Length(max=200, message="不超过 200 字")])
    addressed_to = StringField("提交部门（建议须填写）", validators=[Optional(), Length(max=200, message="不超过 200 字")])
    summary = TextAreaField("情况简述（不要写电话和身份证号）", validators=[Optional(), Length(max=4000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.title.data or "").strip() and not self.title.errors:
            self.title.errors = [*self.title.errors, "请填写标题"]
            ok = False
        ok = not_after_today(self.occurred_on) and ok
        addressed = (self.addressed_to.data or "").strip()
        if self.kind.data == "suggestion" and not addressed:
            self.addressed_to.errors, ok = ["建议须写明提交的部门或单位"], False
        if self.kind.data != "suggestion" and addressed:
            self.addressed_to.errors, ok = ["只有建议填写提交部门"], False
        return ok


class SuggestionReplyForm(FlaskForm):
    """The department's reply to a deputy's suggestion, as the township congress office received it."""

    record_id = HiddenField(validators=[DataRequired()])
    outcome = SelectField("答复意见", choices=_choices("duty_reply_outcome"), validators=[DataRequired(REQUIRED)])
    text = TextAreaField("答复内容", validators=[DataRequired("请填写答复内容"), Length(max=4000, message="不超过 4000 字")])
    replied_on = StringField("答复日期", validators=[DataRequired(REQUIRED), DATE])

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) & not_after_today(self.replied_on)


class WithdrawDutyForm(FlaskForm):
    record_id = HiddenField(validators=[DataRequired()])
    reason = StringField("撤回原因", validators=[DataRequired("请写明撤回原因"), Length(max=500, message="不超过 500 字")])


# roster's field names → what a person reads beside the field when roster refuses it
SERVICE_REASONS = {"occurred_on": "日期不符合要求（不能晚于今天，也不能早于 2000 年）",
                   "addressed_to": "建议须写明提交部门；其他事项不填", "title": "请填写标题",
                   "kind": "请选择事项", "grid_id": "网格不存在",
                   "replied_on": "答复日期不能早于提出建议的日期，也不能晚于今天", "text": "请填写答复内容"}
