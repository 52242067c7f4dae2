"""A deputy's annual report (述职评议) as the rows people read: one source for the printable page and the Word
document offices edit (python-docx)."""
from __future__ import annotations

import io
from dataclasses import dataclass

from wangge_common.contracts import labels

FIVE_TITLES = [("good_suggestion", "提出一条好建议"), ("inspection", "参加一次视察"),
               ("dispute_mediated", "调解一起纠纷"), ("household_in_difficulty_helped", "帮扶一户困难群众"),
               ("livelihood_matter_settled", "推动解决一件民生实事")]
NO_SOURCE = "暂无数据来源"


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _yes(value) -> str:
    return "—" if value is None else ("达标" if value else "未达标")


@dataclass(frozen=True)
class Report:
    title: str
    intro: str
    duties: list[tuple[str, str, str]]  # requirement, done, met
    five_ones: list[tuple[str, str, str]]
    months: list[tuple[str, int]]


def duty_rows(duties: dict | None, projects_completed: int) -> list[tuple[str, str, str]]:
    """The duty record's lines (履职登记, seeds 003/004): inspections, suggestions, activities and forums, and the
    micro livelihood projects completed."""
    if duties is None:
        return [("履职登记（视察、建议、主题活动、座谈会）", NO_SOURCE, "—")]
    seen = duties["inspection"] + duties["survey"]
    return [
        ("每年至少参加 2 次视察或调研", f"视察 {duties['inspection']} 次，调研 {duties['survey']} 次", _yes(seen >= 2)),
        ("每年至少提出 1 条建议", f"{duties['suggestion']} 条", _yes(duties["suggestion"] >= 1)),
        ("每季度主题活动、每半年座谈会", f"主题活动 {duties['themed_activity']} 次，座谈会 {duties['forum']} 次", "—"),
        ("民生微实事", f"完成 {projects_completed} 项", "—"),
    ]


def build(p: dict) -> Report:
    """The report's text from one deputy's performance figures (reporting.performance)."""
    level = labels.label("deputy_level", p["level"]) or "人大代表"
    grids = "、".join(g["name"] for g in p["grids"]) or "（无）"
    intro = f"{level}{'，' + p['position'] if p.get('position') else ''}。派驻网格：{grids}。统计截至 {p['as_of']}。"
    kinds = p["contact_kinds"]
    duties = [
        ("每周至少走访 1 次", f"{p['visits']} 次，{p['weeks_with_visit']}/{p['weeks']} 周有走访", _yes(p["visits_meet"])),
        ("每月走访至少 10 户", "；".join(f"{m['month'][5:]}月 {m['households']} 户" for m in p["households_by_month"])
         or "—", _yes(p["households_meet"])),
        ("每季度联系网格居民至少 5%", "；".join(f"第{q['quarter']}季度 {_pct(q['share'])}" for q in p["reach_by_quarter"])
         or "—", _yes(p["reach_meet"])),
        ("双联系：至少 3 户（致富带头人、困难群众、乡贤各 1 户），每户每年至少见面 2 次",
         f"{p['contact_households']} 户（致富带头人 {kinds['wealth_leader']}、困难群众 "
         f"{kinds['household_in_difficulty']}、乡贤 {kinds['respected_figure']}），见面 {p['contact_meetings']} 次，"
         f"每户最少 {p['contact_meetings_min']} 次", _yes(p["contact_meet"])),
        ("接待日", f"{p['reception_days']} 天，{p['reception_hours']} 小时，接待群众 {p['residents_received']} 人次", "—"),
        ("受理与答复", f"受理 {p['cases_received']} 件，答复 {p['cases_answered']} 件，调解纠纷 {p['disputes_mediated']} 起",
         "—"),
        *duty_rows(p.get("duties"), p.get("projects_completed", 0)),
    ]
    five = [(title, NO_SOURCE if p["five_ones"][key] is None else str(p["five_ones"][key]),
             _yes(None if p["five_ones"][key] is None else p["five_ones"][key] > 0)) for key, title in FIVE_TITLES]
    return Report(title=f"{p['name']} 代表 {p['year']} 年度进网格履职情况（述职评议）", intro=intro, duties=duties,
                  five_ones=five, months=[(m["month"], m["households"]) for m in p["households_by_month"]])


def docx_bytes(report: Report) -> bytes:
    """The report as a Word document (A4, editable in Word or WPS)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation, section.page_width, section.page_height = WD_ORIENT.PORTRAIT, Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "宋体", Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # Chinese text in 宋体 in Word and WPS
    document.add_heading(report.title, level=1)
    document.add_paragraph(report.intro)

    def table(heading: str, rows: list[tuple[str, ...]], header: tuple[str, ...], widths: tuple[int, ...]):
        document.add_heading(heading, level=2)
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header):
            cell.text = text
        for row in rows:
            for cell, text in zip(grid.add_row().cells, row):
                cell.text = text
        for row in grid.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Mm(width)

    table("履职要求完成情况", report.duties, ("要求", "完成", "是否达标"), (60, 85, 25))
    table("每月走访户数", [(f"{month[5:]}月", f"{count} 户") for month, count in report.months], ("月份", "走访户数"),
          (40, 40))
    table("“五个一”", report.five_ones, ("事项", "完成", "是否完成"), (70, 60, 40))
    document.add_paragraph("本报告由事件日志计算得出，可用 wangge replay 复核。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
