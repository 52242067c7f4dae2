"""What an import reads and how it speaks: the columns of each import, the headings and values offices write in
Chinese, the dates they type, and every reason given back in Chinese with the column's Chinese heading.

Nothing is dropped silently: a heading that is no column of the import is reported (with the column it most likely
meant), and known columns an import does not read are listed as ignored.
"""
from __future__ import annotations

import difflib
import re
from datetime import date


# Headings only an office reads (a name beside a code): the import reports them as ignored, never as unknown
OFFICE_ONLY = {"grids": {"上级网格名称": "上级网格的名称，方便阅读；导入时按“上级编码”确定上级网格"},
               "deputies": {"派驻网格编码": "代表派驻的网格，由派驻方案确定，导入时不读取",
                            "派驻网格名称": "代表派驻的网格，由派驻方案确定，导入时不读取",
                            "手机（隐藏中间四位）": "导出时的掩码手机号，导入时不读取；要改手机号请填写“手机”列"}}
GRID_COLUMNS = ("code", "external_id", "name", "level", "parent_code", "kind", "households", "population",
                "difficulty", "leader", "workers", "constituency")
DEPUTY_COLUMNS = ("id", "external_id", "name", "gender", "level", "kind", "position", "mobile", "mobile_masked",
                  "office_phone", "phone_display", "email", "constituency", "home_grid_code", "work_grid_code",
                  "specialities", "capability", "pledge", "term_start", "term_end", "status")
# Read on import, never exported: why a row changes a deputy's status (suspension, resumption).
# The ID number is personal data: read to find the same person, stored encrypted, never exported.
DEPUTY_IMPORT_ONLY = ("reason", "id_number")
LIST_COLUMNS = ("workers", "specialities")
# Headings township offices write in Chinese, beside the English column names.
ALIASES = {"编码": "code", "网格编码": "code", "名称": "name", "网格名称": "name", "层级": "level",
           "上级编码": "parent_code", "类型": "kind", "户数": "households", "人口": "population", "难度": "difficulty",
           "网格长": "leader", "网格员": "workers", "原选区": "constituency", "姓名": "name", "性别": "gender",
           "代表层级": "level", "身份": "kind", "职务": "position", "手机": "mobile", "手机号码": "mobile",
           "办公电话": "office_phone", "公示电话": "phone_display", "邮箱": "email", "居住网格": "home_grid_code",
           "工作网格": "work_grid_code", "专长": "specialities", "履职能力": "capability", "履职承诺": "pledge",
           "任期开始": "term_start", "任期结束": "term_end", "状态": "status", "变更原因": "reason",
           "ref": "external_id", "外部编号": "external_id", "外部ID": "external_id", "外部id": "external_id",
           "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number",
           "代表编号": "id"}  # 代表编号: the deputy's id, last column of the office's XLSX (exports.py)
SPLIT = re.compile(r"[、,;，；]\s*")
# Values township offices write in Chinese, per column, beside the API's own values (which stay accepted).
GRID_VALUES = {
    "level": {"乡镇": 1, "乡": 1, "镇": 1, "街道": 1, "村": 2, "社区": 2, "村(社区)": 2, "村（社区）": 2,
              "村民小组": 3, "小区": 3, "村民小组(小区)": 3, "村民小组（小区）": 3},
    "kind": {"城市社区": "urban_community", "社区": "urban_community", "农村": "rural_village",
             "行政村": "rural_village", "村": "rural_village", "老旧小区": "old_estate",
             "流动人口聚居区": "migrant_cluster", "产业园区": "industrial_park", "工业园区": "industrial_park"},
}
DEPUTY_VALUES = {
    "gender": {"男": "male", "女": "female"},
    "level": {"全国": "national", "全国人大代表": "national", "省": "provincial", "省级": "provincial",
              "省人大代表": "provincial", "市": "city", "市级": "city", "市人大代表": "city", "县": "county",
              "县级": "county", "县人大代表": "county", "区": "county", "乡镇": "township", "乡": "township",
              "镇": "township", "乡镇人大代表": "township"},
    "kind": {"人大代表": "npc_deputy", "党代表": "party_delegate"},
    "phone_display": {"办公电话": "office", "手机": "masked_mobile", "手机(隐藏中间四位)": "masked_mobile",
                      "联络站电话": "station"},
    "status": {"在任": "serving", "履职": "serving", "暂停": "suspended", "暂停履职": "suspended",
               "终止": "ended", "已终止": "ended"},
}


DATE_COLUMNS = ("term_start", "term_end")
# The Chinese heading shown beside each column in errors (the first an office would write).
COLUMN_ZH = {"id": "代表ID", "external_id": "外部编号", "code": "编码", "level": "层级", "parent_code": "上级编码",
             "kind": "类型", "households": "户数", "population": "人口", "difficulty": "难度", "leader": "网格长",
             "workers": "网格员", "constituency": "原选区", "gender": "性别", "position": "职务", "mobile": "手机",
             "mobile_masked": "手机（掩码）", "office_phone": "办公电话", "phone_display": "公示电话",
             "email": "邮箱", "home_grid_code": "居住网格", "work_grid_code": "工作网格", "specialities": "专长",
             "capability": "履职能力", "pledge": "履职承诺", "term_start": "任期开始", "term_end": "任期结束",
             "status": "状态", "reason": "变更原因", "id_number": "身份证号", "file": "文件"}
# Known columns an import reads nothing from, and why.
IGNORED = {"deputies": {"mobile_masked": "导出时的掩码手机号，导入时不读取；要改手机号请填写“手机”列"}}


def column_zh(what: str, column: str) -> str:
    if column == "name":
        return "名称" if what == "grids" else "姓名"
    if column == "kind" and what == "deputies":
        return "身份"
    if column == "level" and what == "deputies":
        return "代表层级"
    return COLUMN_ZH.get(column, column)


class Headings:
    """For the file reader: raw headings -> column names of this import (None where unknown), remembering the
    headings it did not know and the known ones the import does not read, so the answer can report them."""

    def __init__(self, what: str):
        self.what = what
        self.known = set(GRID_COLUMNS if what == "grids" else DEPUTY_COLUMNS + DEPUTY_IMPORT_ONLY)
        self.unknown: list[dict] = []
        self.ignored: list[dict] = []

    def __call__(self, headings: list[str]) -> list[str | None]:
        named = []
        office_only = OFFICE_ONLY.get(self.what, {})
        for heading in headings:
            column = ALIASES.get(heading, heading)
            if heading in office_only:  # a heading of the office's own sheet (exports.py), read by people only
                named.append(None)
                self.ignored.append({"column": heading, "reason": office_only[heading]})
            elif column in self.known:
                named.append(column)
                if column in IGNORED.get(self.what, {}):
                    self.ignored.append({"column": heading, "reason": IGNORED[self.what][column]})
            else:
                named.append(None)
                if heading:
                    self.unknown.append({"column": heading, "reason": self.why_unknown(heading)})
        return named

    def why_unknown(self, heading: str) -> str:
        names = sorted(self.known) + [a for a, c in ALIASES.items() if c in self.known]
        near = difflib.get_close_matches(heading, names, n=1, cutoff=0.6)
        hint = ""
        if near:
            column = ALIASES.get(near[0], near[0])
            hint = f"；是否想写“{column}”（{column_zh(self.what, column)}）？"
        return f"“{heading}”不是{'网格' if self.what == 'grids' else '代表'}导入的列，这一列的内容不会被读取{hint}"


def headings_of(what: str) -> Headings:
    return Headings(what)


_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")


def as_date(value):
    """2026-12-01, 2026/12/01, 2026.12.1 and 2026年12月1日 as ISO dates; anything else as given (the schema says
    why it is wrong)."""
    if not isinstance(value, str):
        return value
    found = _DATE.match(value)
    if not found:
        return value
    try:
        return date(*(int(part) for part in found.groups())).isoformat()
    except ValueError:
        return value


def clean(row: dict, columns: tuple[str, ...], drop: tuple[str, ...], values: dict) -> dict:
    """A row's cells as the schema's input: Chinese values translated, lists split, dates made ISO."""
    data = {k: values.get(k, {}).get(v, v) if isinstance(v, str) else v
            for k, v in row.items() if k in columns and k not in drop and v is not None}
    for name in LIST_COLUMNS:
        if isinstance(data.get(name), str):
            data[name] = [part for part in SPLIT.split(data[name]) if part]
    for name in DATE_COLUMNS:
        if name in data:
            data[name] = as_date(data[name])
    return data


# English reasons of the schemas and the rules, in Chinese (patterns tried in order; groups carried over).
_ZH = [
    (r"^Missing data for required field\.?$", "必填项，不能为空"),
    (r"^Field may not be null\.?$", "不能为空"),
    (r"^Not a valid integer\.?$", "须填写整数"),
    (r"^Not a valid number\.?$", "须填写数字"),
    (r"^Not a valid date\.?$", "日期格式不对，可写 2026-12-01、2026/12/01 或 2026年12月1日"),
    (r"^Not a valid email address\.?$", "邮箱地址格式不对"),
    (r"^Not a valid (string|list|boolean)\.?$", "格式不对"),
    (r"^Must be one of: (.*)\.$", r"须为以下之一：\1"),
    (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$", r"须在 \1 到 \2 之间"),
    (r"^Length must be between (\d+) and (\d+)\.$", r"长度须在 \1 到 \2 个字之间"),
    (r"^Longer than maximum length (\d+)\.$", r"最多 \1 项"),
    (r"^must not be blank.*", "不能只填空格"),
    (r"^must be an 11-digit mainland mobile.*", "须为 11 位手机号码，以 1 开头（如 13812345678）"),
    (r"^must be an area code and number.*", "须为区号加号码，如 0731-55681234"),
    (r"^must be an 18-character resident ID.*", "须为 18 位公民身份号码（17 位数字加一位数字或 X）"),
    (r"^the check digit.*", "身份证号的校验位（第 18 位）不符，号码有误"),
    (r"^must not be before term_start.*", "任期结束不能早于任期开始"),
    (r"^is required when phone_display is 'office'.*", "公示电话选“办公电话”时须填写办公电话"),
    (r"^a change of status \((\w+) → (\w+)\) needs a reason$", r"变更状态须填写“变更原因”"),
    (r"^the deputy's term has ended.*", "该代表任期已终止，记录作为历史保留，不能再修改"),
    (r"^end a term with POST.*", "终止任期须通过“终止任期”办理，不能由导入改为终止"),
    (r"^would make the grid its own ancestor.*", "会使网格成为自己的上级（网格树出现循环）"),
    (r"^a township grid \(level 1\) has no parent$", "乡镇网格（第 1 级）没有上级"),
    (r"^a level-(\d) grid needs a parent of level (\d)$", r"第 \1 级网格须有第 \2 级的上级网格"),
    (r"^a level-(\d) grid must sit under a level-(\d) grid, not level (\d)$",
     r"第 \1 级网格须位于第 \2 级网格之下，不能位于第 \3 级之下"),
    (r"^the grid has children of level (\d); it must stay level (\d)$", r"该网格有下级网格，层级须保持为第 \2 级"),
    (r"^a grid with code '(.*)' exists$", r"编码“\1”已被另一个网格使用"),
    (r"^external_id '(.*)' already names .*", r"外部编号“\1”已属于另一条记录"),
    (r"^deputy (\S+) has the same (external id|ID number|mobile).*", r"与名册中已有的代表（\1）是同一人，不重复登记"),
    (r"^the same as deputy (\S+)$", r"与名册中已有的代表（\1）相同，不重复登记"),
    (r"^already names (\S+)$", r"已属于另一条记录（\1）"),
    (r"^Unknown field\.?$", "不是此导入的列"),
]
_ZH_COMPILED = [(re.compile(p), r) for p, r in _ZH]


def zh(reason: str) -> str:
    """The reason in Chinese; a reason already in Chinese, or one no pattern knows, is kept (prefixed)."""
    if re.search(r"[\u4e00-\u9fff]", reason or ""):
        return reason
    for pattern, replacement in _ZH_COMPILED:
        if pattern.match(reason or ""):
            return pattern.sub(replacement, reason)
    return f"不符合要求（{reason}）"


def row_error(what: str, number: int, field: str, reason: str) -> dict:
    """One problem of one row: the column by name and by its Chinese heading, the reason in Chinese."""
    column = field.split(".")[0] if field else ""
    return {"row": number, "field": field, "column": column_zh(what, column) if column else "", "reason": zh(reason)}
