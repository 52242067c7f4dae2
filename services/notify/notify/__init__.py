"""Notify service (通知): tells the right person, once, in Chinese (件件有答复，事事有回音)."""
