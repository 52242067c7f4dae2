"""Notify's own settings: every WANGGE_NOTIFY_* variable, read here once (from the shared Settings' extra) when
the runtime starts; the rest of notify reads `runtime.state.settings`."""
from __future__ import annotations

import json
from dataclasses import dataclass

from .domain import QuietHours
from .egress import Network, parse_networks
from .smsproviders import PROVIDERS, SmsAccount


@dataclass(frozen=True)
class NotifySettings:
    sms_url: str | None
    sms_token: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_from: str
    public_url: str  # where residents reach notify's pages (the rating link)
    routing_url: str
    quiet_hours: QuietHours | None
    sms_daily_cap: int
    max_attempts: int
    retry_base_s: float
    webhook_disable_after: int
    http_timeout_s: float
    lease_s: float  # how long a claimed batch is the sender's alone: keep above batch_size × http_timeout_s
    batch_size: int
    # networks webhooks may reach although they are not public (loopback for local receivers, an internal network)
    webhook_allowed_networks: tuple[Network, ...] = ()
    # WANGGE_NOTIFY_SMS_PROVIDER aliyun | tencent: the provider account; None: the HTTP gateway (sms_url)
    sms_account: SmsAccount | None = None

    @classmethod
    def from_settings(cls, settings) -> "NotifySettings":
        env = settings.extra

        def number(name, default, kind=int):
            raw = env.get(f"WANGGE_NOTIFY_{name}")
            try:
                return kind(raw) if raw not in (None, "") else default
            except ValueError as exc:
                raise ValueError(f"WANGGE_NOTIFY_{name} must be a number, got {raw!r}") from exc

        return cls(
            sms_url=env.get("WANGGE_NOTIFY_SMS_URL") or None,
            sms_token=env.get("WANGGE_NOTIFY_SMS_TOKEN") or None,
            smtp_host=env.get("WANGGE_NOTIFY_SMTP_HOST") or None,
            smtp_port=number("SMTP_PORT", 25),
            smtp_from=env.get("WANGGE_NOTIFY_SMTP_FROM", "wangge-notify@localhost"),
            public_url=(env.get("WANGGE_NOTIFY_PUBLIC_URL") or settings.service_urls.get("notify", "")).rstrip("/"),
            routing_url=settings.service_urls.get("routing", "").rstrip("/"),
            quiet_hours=QuietHours.parse(env.get("WANGGE_NOTIFY_QUIET_HOURS", "21:00-08:00")),
            sms_daily_cap=number("SMS_DAILY_CAP", 5),
            max_attempts=number("MAX_ATTEMPTS", 6),
            retry_base_s=number("RETRY_BASE_S", 30.0, float),
            webhook_disable_after=number("WEBHOOK_DISABLE_AFTER", 10),
            http_timeout_s=number("HTTP_TIMEOUT_S", 5.0, float),
            lease_s=number("LEASE_S", 120.0, float),
            batch_size=number("BATCH_SIZE", 20),
            webhook_allowed_networks=parse_networks(env.get("WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS")),
            sms_account=account_from_env(env),
        )


def parse_templates(raw: str | None) -> dict:
    """WANGGE_NOTIFY_SMS_TEMPLATES: a JSON object of {template key: {"id", "params"}}; ValueError naming the fault."""
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"WANGGE_NOTIFY_SMS_TEMPLATES is not JSON: {exc}") from exc
    if not isinstance(found, dict):
        raise ValueError("WANGGE_NOTIFY_SMS_TEMPLATES must be a JSON object of template key -> {id, params}")
    for key, entry in found.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not isinstance(
                entry.get("params", []), list):
            raise ValueError(f"WANGGE_NOTIFY_SMS_TEMPLATES[{key!r}] must be {{\"id\": \"...\", \"params\": [...]}}")
    return found


def account_from_env(env: dict) -> SmsAccount | None:
    """The provider account of WANGGE_NOTIFY_SMS_*; None for the HTTP gateway. ValueError names a missing setting."""
    provider = (env.get("WANGGE_NOTIFY_SMS_PROVIDER") or "gateway").strip().lower()
    if provider not in PROVIDERS:
        raise ValueError(f"WANGGE_NOTIFY_SMS_PROVIDER must be one of {', '.join(PROVIDERS)}, got {provider!r}")
    if provider == "gateway":
        return None
    prefix = f"WANGGE_NOTIFY_{provider.upper()}_"
    needed = {"key_id": prefix + "KEY_ID", "key_secret": prefix + "KEY_SECRET",
              "sign_name": "WANGGE_NOTIFY_SMS_SIGN_NAME"}
    if provider == "tencent":
        needed["sdk_app_id"] = "WANGGE_NOTIFY_TENCENT_SDK_APP_ID"
    missing = [name for name in needed.values() if not env.get(name)]
    if missing:
        raise ValueError(f"SMS provider {provider} needs {', '.join(missing)}")
    return SmsAccount(provider, **{field: env[name] for field, name in needed.items()},
                      templates=parse_templates(env.get("WANGGE_NOTIFY_SMS_TEMPLATES")),
                      endpoint=env.get(prefix + "ENDPOINT") or None,
                      region=env.get("WANGGE_NOTIFY_TENCENT_REGION") or "ap-guangzhou")
