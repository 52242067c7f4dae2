from datetime import date, datetime, timezone

import pytest

from wangge_common import clock


def test_wire_time_is_utc_with_z_and_reads_back():
    moment = datetime(2026, 12, 6, 9, 30, tzinfo=clock.CHINA)
    assert clock.wire_time(moment) == "2026-12-06T01:30:00Z"
    assert clock.wire_time(moment, "microseconds") == "2026-12-06T01:30:00.000000Z"
    assert clock.parse_time("2026-12-06T01:30:00Z") == moment
    assert clock.parse_time("2026-12-06T09:30:00+08:00") == moment
    assert clock.wire_time(None) is None


def test_naive_moments_are_utc_and_bad_text_is_refused():
    assert clock.wire_time(datetime(2026, 1, 1)) == "2026-01-01T00:00:00Z"
    assert clock.parse_time("2026-01-01T00:00:00").tzinfo is not None
    with pytest.raises(ValueError):
        clock.parse_time("tomorrow")


def test_people_read_china_time():
    late = datetime(2026, 12, 5, 17, 0, tzinfo=timezone.utc)  # 01:00 on the 6th in China
    assert clock.local_date(late) == date(2026, 12, 6)
    assert clock.local_text("2026-12-05T17:00:00Z") == "2026-12-06 01:00"
    assert clock.local_text(None) == ""
