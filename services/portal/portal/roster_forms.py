"""The forms of the township's roster desk (名册, 派驻方案), with Chinese reasons per field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from wangge_common.contracts.labels import labels

from .schemas import REQUIRED, options

OFFICE = Regexp(r"^0\d{2,3}-?\d{7,8}$", message="请填写区号加号码，如 0731-55681234")


def _not_blank(_form, field):
    if field.data is not None and isinstance(field.data, str) and field.data and not field.data.strip():
        raise ValidationError("不能只填空格")


def _choices(kind: str, blank: str | None = None):
    return options(([("", blank)] if blank is not None else []) + [(str(k), v) for k, v in labels(kind).items()])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("搜索", validators=[Optional(), Length(max=50, message="不超过 50 个字")])


class GridForm(FlaskForm):
    name = StringField("名称", validators=[DataRequired(REQUIRED), Length(max=100, message="不超过 100 个字"),
                                         _not_blank])
    kind = SelectField("类型", choices=_choices("grid_kind"), validators=[DataRequired(REQUIRED)])
    households = IntegerField("户数", validators=[InputRequired("请填写户数（没有可填 0）"),
                                                NumberRange(0, 1_000_000, message="须在 0 到 1000000 之间")])
    population = IntegerField("人口", validators=[InputRequired("请填写人口（没有可填 0）"),
                                                NumberRange(0, 10_000_000, message="须在 0 到 10000000 之间")])
    difficulty = SelectField("治理难度", choices=options([(str(i), f"{i} 级") for i in range(1, 6)]),
                             validators=[DataRequired(REQUIRED)])
    leader = StringField("网格长", validators=[Optional(), Length(max=50, message="不超过 50 个字"), _not_blank])
    workers = StringField("网格员", validators=[Optional(), Length(max=500, message="过长")],
                          description="多人用顿号或逗号分开")
    external_id = StringField("外部编号", validators=[Optional(), Length(max=100, message="不超过 100 个字符"),
                                                  _not_blank], description="对接系统中的编号，可不填")


class DeputyForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired(REQUIRED), Length(max=50, message="不超过 50 个字"),
                                         _not_blank])
    position = StringField("职务", validators=[Optional(), Length(max=100, message="不超过 100 个字")])
    office_phone = StringField("办公电话", validators=[Optional(), OFFICE])
    phone_display = SelectField("公示电话", choices=_choices("phone_display")[:2], validators=[DataRequired(REQUIRED)])
    home_grid_id = SelectField("居住网格", validators=[Optional()])
    status = SelectField("状态", choices=options([("serving", "在任"), ("suspended", "暂停履职")]),
                         validators=[DataRequired(REQUIRED)])
    reason = StringField("变更原因", validators=[Optional(), Length(max=500, message="不超过 500 个字")],
                         description="变更状态时必填")
    pledge = TextAreaField("履职承诺", validators=[Optional(), Length(max=2000, message="不超过 2000 个字")])
    external_id = StringField("外部编号", validators=[Optional(), Length(max=100, message="不超过 100 个字符"),
                                                  _not_blank])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # not an inline validator: Optional() ends an empty field's checks before it would run
        if self.phone_display.data == "office" and not (self.office_phone.data or "").strip():
            self.office_phone.errors = [*self.office_phone.errors, "公示本人办公电话时须填写办公电话"]
            return False
        return ok


class StationForm(FlaskForm):
    name = StringField("名称", validators=[DataRequired(REQUIRED), Length(max=100, message="不超过 100 个字"),
                                         _not_blank])
    address = StringField("地址", validators=[DataRequired(REQUIRED), Length(max=200, message="不超过 200 个字"),
                                            _not_blank])
    opening_hours = StringField("开放时间", validators=[Optional(), Length(max=200, message="不超过 200 个字")])
    phone = StringField("公开电话", validators=[Optional(), OFFICE])


class ImportForm(FlaskForm):
    what = RadioField("导入内容", choices=options([("grids", "网格"), ("deputies", "代表")]),
                      validators=[DataRequired("请选择导入网格还是代表")], default="deputies")
    file = FileField("表格文件", validators=[DataRequired("请选择 .xlsx 或 .csv 文件")],
                     description="Excel（.xlsx）或 CSV（UTF-8 或 GB18030），第 1 行为列标题")


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(32, 32)])
    what = HiddenField(validators=[DataRequired()])
    ignore_unknown_columns = BooleanField("忽略上面列出的未知列（其内容不会导入）")
    import_valid_rows = BooleanField("只导入正确的行，有问题的行不导入")


class DraftPlanForm(FlaskForm):
    max_load = SelectField("每位代表最多联系网格数", choices=options([(str(i), f"{i} 个") for i in range(1, 5)]),
                           default="1", validators=[DataRequired(REQUIRED)])
    max_per_grid = SelectField("每个网格最多代表数", choices=options([(str(i), f"{i} 名") for i in range(1, 7)]),
                               default="3", validators=[DataRequired(REQUIRED)])
    pair_party_delegates = BooleanField("两代表结对（每个网格配党代表）")


class PlanGridForm(FlaskForm):
    grid_id = HiddenField(validators=[DataRequired()])


class PlanStepForm(FlaskForm):
    """Submit, approve or publish: the button pressed is the step."""
