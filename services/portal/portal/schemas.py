"""The forms people fill in (WTForms through Flask-WTF: CSRF token on each), with Chinese reasons per field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms.fields.choices import SelectChoice
from wtforms import (BooleanField, HiddenField, PasswordField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from wangge_common.contracts.labels import labels

from . import domain

REQUIRED = "必填"
MOBILE = Regexp(r"^1[3-9]\d{9}$", message="请填写 11 位手机号码，如 13812345678")
PHONE = Regexp(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", message="请填写手机号码或座机号码（如 0731-55681234）")


def options(pairs) -> list[SelectChoice]:
    """(value, Chinese label) pairs as the choices of a select (WTForms 3.3 wants SelectChoice)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(kind: str, blank: str | None = None) -> list[SelectChoice]:
    found = list(labels(kind).items())
    return options(([("", blank)] if blank is not None else []) + found)


class SignInForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=40, message="不超过 40 个字符")])
    password = PasswordField("密码", validators=[DataRequired(REQUIRED), Length(max=200, message="过长")])


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired(REQUIRED)])
    new = PasswordField("新密码", validators=[DataRequired(REQUIRED), Length(max=200, message="过长")])
    repeat = PasswordField("再次输入新密码", validators=[DataRequired(REQUIRED)])

    def validate_repeat(self, field):
        if field.data != self.new.data:
            raise ValidationError("两次输入的新密码不一致")


class AccountForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(3, 40, message="3 至 40 个字符"),
                                              Regexp(r"^[A-Za-z0-9_.-]+$", message="只用字母、数字、下划线、点和横线")])
    display_name = StringField("姓名", validators=[DataRequired(REQUIRED), Length(max=50, message="不超过 50 个字符")])
    role = SelectField("角色", choices=options(domain.ROLE_LABELS.items()), validators=[DataRequired(REQUIRED)])
    password = PasswordField("初始密码", validators=[DataRequired(REQUIRED)])
    deputy_id = StringField("绑定代表（名册编号）", validators=[Optional(), Length(36, 36, message="名册编号为 36 位")])
    grid_id = StringField("绑定乡镇网格（编号）", validators=[Optional(), Length(36, 36, message="网格编号为 36 位")])
    department = StringField("绑定部门（代码）", validators=[Optional(), Length(max=40, message="不超过 40 个字符")])


class BindingForm(FlaskForm):
    role = SelectField("角色", choices=options(domain.ROLE_LABELS.items()), validators=[DataRequired(REQUIRED)])
    deputy_id = StringField("绑定代表（名册编号）", validators=[Optional(), Length(36, 36, message="名册编号为 36 位")])
    grid_id = StringField("绑定乡镇网格（编号）", validators=[Optional(), Length(36, 36, message="网格编号为 36 位")])
    department = StringField("绑定部门（代码）", validators=[Optional(), Length(max=40, message="不超过 40 个字符")])


class ActionForm(FlaskForm):
    """A button that changes something (disable, unlock, end a session): only the CSRF token."""



class OnlineForm(FlaskForm):
    grid_id = HiddenField()
    grid_choice = SelectField("所在网格", validate_choice=False, validators=[Optional()])
    category = SelectField("诉求类别", choices=_choices("category", "请选择"), validators=[InputRequired(REQUIRED)])
    topic = SelectField("事项", choices=_choices("topic", "其他"), validators=[Optional()])
    content = TextAreaField("反映内容", validators=[DataRequired(REQUIRED),
                                                   Length(5, 2000, message="请写 5 至 2000 字，说清事情、地点和时间")])
    photos = MultipleFileField("照片（可选，最多 3 张，每张不超过 5 MB，JPG 或 PNG）")
    name = StringField("姓名", validators=[DataRequired(REQUIRED), Length(max=50, message="不超过 50 个字符")])
    mobile = StringField("手机号码", validators=[DataRequired(REQUIRED), MOBILE])
    consent = BooleanField("我同意将姓名和手机号码用于办理和回复本诉求（加密保存，不公开）",
                           validators=[DataRequired("须同意后才能提交")])
    nonce = HiddenField()  # the Idempotency-Key: a double tap sends the same one

    def validate_category(self, field):
        if field.data and field.data not in labels("category"):
            raise ValidationError("请选择诉求类别")


class MatterForm(FlaskForm):
    """A matter registered by a deputy at a reception or by a call taker (the fast form)."""

    grid_id = SelectField("网格", validate_choice=False, validators=[DataRequired(REQUIRED)])
    household_query = StringField("查找户（地址）", validators=[Optional(), Length(max=100)])
    household_id = SelectField("户档案", validate_choice=False, validators=[Optional()])
    category = SelectField("诉求类别", choices=_choices("category", "请选择"), validators=[InputRequired(REQUIRED)])
    topic = SelectField("事项", choices=_choices("topic", "其他"), validators=[Optional()])
    content = TextAreaField("反映内容", validators=[DataRequired(REQUIRED), Length(5, 2000, message="5 至 2000 字")])
    special_groups = SelectMultipleField("特殊群体", choices=_choices("special_group"), validators=[Optional()])
    urgency = RadioField("紧急程度", choices=_choices("urgency"), default="normal")
    name = StringField("群众姓名", validators=[Optional(), Length(max=50, message="不超过 50 个字符")])
    phone = StringField("联系电话", validators=[Optional(), PHONE])
    anonymous = BooleanField("匿名反映（不留姓名电话）")
    confirmed = BooleanField("已看过相似诉求，仍然登记")
    nonce = HiddenField()

    def validate_category(self, field):
        if field.data and field.data not in labels("category"):
            raise ValidationError("请选择诉求类别")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.anonymous.data and not (self.phone.data or "").strip():  # Optional() stops the field's chain
            self.phone.errors = [*self.phone.errors, "请留联系电话，或勾选匿名反映"]
            ok = False
        return ok


class ReplyForm(FlaskForm):
    # an on-the-spot answer (现场答复) is its own command at routing, not a reply passed on later
    channel = RadioField("答复方式", choices=options((c, t) for c, t in labels("reply_channel").items()
                                                    if c != "on_the_spot"),
                         validators=[InputRequired("请选择答复方式")])
    reason = TextAreaField("答复情况", validators=[DataRequired(REQUIRED), Length(2, 500, message="2 至 500 字")])


class StartReceptionForm(FlaskForm):
    grid_id = SelectField("接待网格", validate_choice=False, validators=[DataRequired(REQUIRED)])
    reception_id = HiddenField()


class EndReceptionForm(FlaskForm):
    residents_received = StringField("接待群众人数", validators=[DataRequired(REQUIRED),
                                                           Regexp(r"^\d{1,4}$", message="请填写人数（数字）")])
    notes = TextAreaField("接待情况（不要写电话和身份证号）", validators=[Optional(), Length(max=2000)])


class ContactMeetingForm(FlaskForm):
    """双联系: a meeting with one of the deputy's contact households (roster's contact meeting)."""

    link_id = SelectField("联系户", validate_choice=False, validators=[DataRequired("请选择联系户")])
    met_on = StringField("见面日期", validators=[DataRequired(REQUIRED),
                                              Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式如 2026-12-05")])
    summary = TextAreaField("交流了什么（不要写电话和身份证号）",
                            validators=[DataRequired(REQUIRED), Length(2, 2000, message="2 至 2000 字")])
    nonce = HiddenField()


class VisitForm(FlaskForm):
    """A household visit (走访) and, optionally, one matter raised in it (a case on the visit channel)."""

    grid_id = SelectField("走访网格", validate_choice=False, validators=[DataRequired(REQUIRED)])
    visited_on = StringField("走访日期", validators=[DataRequired(REQUIRED),
                                                  Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式如 2026-12-05")])
    kind = SelectField("走访方式", choices=_choices("visit_kind"), validators=[DataRequired(REQUIRED)])
    household_query = StringField("查找户（地址）", validators=[Optional(), Length(max=100)])
    household_ids = SelectMultipleField("走访的户", validate_choice=False, validators=[Optional()])
    residents_reached = StringField("走访群众人数", validators=[DataRequired(REQUIRED),
                                                         Regexp(r"^\d{1,4}$", message="请填写人数（数字）")])
    notes = TextAreaField("民情日志（不要写电话和身份证号）", validators=[Optional(), Length(max=2000)])
    category = SelectField("群众反映的诉求（可选）", choices=_choices("category", "没有诉求"), validators=[Optional()])
    content = TextAreaField("诉求内容", validators=[Optional(), Length(5, 2000, message="5 至 2000 字")])
    nonce = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.category.data and not (self.content.data or "").strip():
            self.content.errors = [*self.content.errors, "选了诉求类别，请写明诉求内容"]
            ok = False
        return ok
