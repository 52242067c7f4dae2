"""What to tell whom (Chinese texts for residents); pure Python."""
from __future__ import annotations

TEMPLATES = {
    "case.registered/reporter": "您反映的问题已受理，受理编号{tracking_code}。我们将尽快交办处理，件件有答复，事事有回音。",
    "case.triaged/reporter": "您反映的问题（受理编号{tracking_code}）已转交{department}办理，办理结果将及时告知您。",
    "case.triaged.manual/reporter": "您反映的问题（受理编号{tracking_code}）正在由工作人员梳理分办，结果将及时告知您。",
}


def render(template: str, **values) -> str:
    return TEMPLATES[template].format(**values)
