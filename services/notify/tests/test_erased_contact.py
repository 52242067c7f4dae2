"""A reporter erased at intake (contact look-up answers 410 Gone) is a permanent failure, not a retry."""
import pytest

from notify import channels
from notify.settings import NotifySettings



class Answer:
    def __init__(self, status):
        self.status_code = status

    def json(self):
        return {"name": "x", "phone": "13900000000", "email": None}


@pytest.mark.parametrize("status, outcome", [(410, channels.Permanent), (404, channels.Permanent), (503, channels.Retry)])
def test_an_erased_reporter_is_not_retried(monkeypatch, svc, status, outcome):
    monkeypatch.setattr(channels, "_get", lambda url, token, timeout: Answer(status))
    with pytest.raises(outcome):
        channels.fetch_contact(svc.runtime.settings, NotifySettings.from_settings(svc.runtime.settings), "reporter",
                               "rp_1")
