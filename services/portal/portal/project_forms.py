"""The forms of the micro livelihood project pages (民生微实事)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .schemas import REQUIRED, options

YUAN = Regexp(r"^\d{1,9}$", message="请填写金额（元，整数）")
PUBLIC = "（将公开，不要写姓名、电话和身份证号）"


class ProposeForm(FlaskForm):
    grid_id = SelectField("网格", validate_choice=False, validators=[DataRequired(REQUIRED)])
    title = StringField("项目名称", validators=[DataRequired(REQUIRED), Length(max=200, message="不超过 200 字")])
    description = TextAreaField("实施内容" + PUBLIC, validators=[DataRequired(REQUIRED),
                                                            Length(max=4000, message="不超过 4000 字")])
    budget_yuan = StringField("预算（元）", validators=[DataRequired(REQUIRED), YUAN])
    case_ids = SelectMultipleField("对应的群众诉求", validate_choice=False,
                                   validators=[DataRequired("请至少选择一件诉求：微实事从收集的民意中来")])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in (self.title, self.description):
            if field.data is not None and not field.data.strip() and not field.errors:
                field.errors, ok = [REQUIRED], False
        if self.budget_yuan.data and not self.budget_yuan.errors and int(self.budget_yuan.data) < 1:
            self.budget_yuan.errors, ok = ["预算至少 1 元"], False
        return ok


class ReviewForm(FlaskForm):
    decision = SelectField("审核意见", choices=options([("approved", "同意，报请资金审批"), ("refused", "不同意")]),
                           validators=[DataRequired(REQUIRED)])
    reason = StringField("理由", validators=[DataRequired("请写明理由"), Length(max=1000)])


class FundingForm(FlaskForm):
    decision = SelectField("资金审批", choices=options([("funded", "同意拨款"), ("refused", "不予拨款")]),
                           validators=[DataRequired(REQUIRED)])
    amount_yuan = StringField("拨款金额（元）", validators=[Optional(), YUAN])
    reason = StringField("理由", validators=[DataRequired("请写明理由"), Length(max=1000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.decision.data == "funded" and not self.amount_yuan.data and not self.amount_yuan.errors:
            self.amount_yuan.errors, ok = ["同意拨款须填写金额"], False
        return ok


class ProgressForm(FlaskForm):
    percent = StringField("完成进度（%）", validators=[DataRequired(REQUIRED),
                                                 Regexp(r"^\d{1,2}$", message="请填写 0 至 99 的整数；完成请登记结果")])
    note = StringField("进展情况" + PUBLIC, validators=[DataRequired(REQUIRED), Length(max=2000)])


class CompleteForm(FlaskForm):
    result = TextAreaField("实施结果" + PUBLIC, validators=[DataRequired(REQUIRED), Length(max=4000)])


# routing's field names → the reason a person reads beside the field
SERVICE_REASONS = {"amount_yuan": "拨款金额不能超过项目预算", "percent": "进度不能倒退，且须小于 100%",
                   "deputy_id": "您不在该网格履职，不能为其提出项目", "grid_id": "网格不存在",
                   "title": "请填写项目名称", "description": "请填写实施内容", "budget_yuan": "预算金额不符合要求"}
