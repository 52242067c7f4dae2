"""SMS providers (短信服务商) notify can send through, chosen with WANGGE_NOTIFY_SMS_PROVIDER:

- `gateway` (default): an HTTP gateway taking {"to", "text", "idempotency_key"} (channels.send_sms); the one-machine
  stack runs a local one that shows what was sent.
- `aliyun`: Aliyun SMS (阿里云短信服务), SendSms of the dysmsapi 2017-05-25 API over its documented RPC interface
  (a GET signed with HMAC-SHA1, SignatureVersion 1.0). Its SDK's core has no wheel: see requirements-runtime.in.
- `tencent`: Tencent Cloud SMS (腾讯云短信), SendSms of sms 2021-01-11 through Tencent's SDK (TC3-HMAC-SHA256).

Providers in China send only approved templates (模板) under an approved signature (签名), never free text: each
message kind (notify's template key, e.g. `case.registered/reporter`) needs the provider's template id and the
names of the variables it takes, in its order, in WANGGE_NOTIFY_SMS_TEMPLATES:
`{"case.registered/reporter": {"id": "SMS_460000001", "params": ["tracking_code"]}, ...}`. A kind with no approved
template is not sent (given up, naming the setting), so nothing goes out in words nobody approved.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import requests

from wangge_common import clock

from .domain import Permanent, Retry

PROVIDERS = ("gateway", "aliyun", "tencent")
ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_ENDPOINT = "sms.tencentcloudapi.com"
# Codes that say "later": the provider's throttling and its own failures. Any other refusal cannot pass by waiting.
ALIYUN_RETRY = ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling", "ServiceUnavailable",
                "InternalError", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY_TEMPORARY")
TENCENT_RETRY = ("RequestLimitExceeded", "InternalError", "LimitExceeded", "FailedOperation.InsufficientBalance",
                 "ClientNetworkError", "ServerNetworkError", "ResourceUnavailable")


@dataclass(frozen=True)
class SmsAccount:
    """One provider account: the credentials, the approved signature and the approved templates."""

    provider: str
    key_id: str
    key_secret: str
    sign_name: str
    templates: dict  # notify template key -> {"id": provider template id, "params": [variable names]}
    endpoint: str | None = None
    sdk_app_id: str | None = None   # Tencent: the SMS application (SmsSdkAppId)
    region: str = "ap-guangzhou"    # Tencent: the region the SMS API is called in


def _template(account: SmsAccount, key: str, variables: dict | None) -> tuple[str, list[tuple[str, str]]]:
    entry = account.templates.get(key)
    if entry is None:
        raise Permanent(f"no approved {account.provider} SMS template for {key} (WANGGE_NOTIFY_SMS_TEMPLATES)")
    values = variables or {}
    missing = [name for name in entry.get("params", []) if name not in values]
    if missing:
        raise Permanent(f"SMS template {key} takes {', '.join(missing)}, which this message does not have")
    return entry["id"], [(name, _param(values[name])) for name in entry.get("params", [])]


def _param(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def national_number(phone: str) -> str:
    """A mainland mobile number as 11 digits (13812345678), whatever spaces or +86 it was written with."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def send(account: SmsAccount, *, phone: str, template_key: str, variables: dict | None, delivery_id: str,
         timeout: float) -> None:
    """Send one templated SMS through the account's provider; raises Retry or Permanent like the other channels."""
    template_id, params = _template(account, template_key, variables)
    if account.provider == "aliyun":
        _send_aliyun(account, national_number(phone), template_id, params, delivery_id, timeout)
    else:
        _send_tencent(account, "+86" + national_number(phone), template_id, params, delivery_id, timeout)


# --- Aliyun: the RPC interface, signature version 1.0 -------------------------------------------------------------
def _percent(text: str) -> str:
    """Aliyun's percent-encoding: RFC 3986 unreserved characters kept, space as %20, * as %2A, ~ kept."""
    return quote(text, safe="-_.~")


def aliyun_signature(secret: str, method: str, params: dict) -> str:
    """Signature of an RPC call: HMAC-SHA1(secret + "&", METHOD&%2F&encode(sorted, encoded query)), base64."""
    query = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _send_aliyun(account: SmsAccount, phone: str, template_id: str, params, delivery_id: str, timeout: float):
    query = {
        "AccessKeyId": account.key_id, "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": str(uuid.uuid4()), "SignatureVersion": "1.0",
        "Timestamp": clock.wire_time(clock.now(), "seconds"), "Version": "2017-05-25",
        "PhoneNumbers": phone, "SignName": account.sign_name, "TemplateCode": template_id,
        "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
        "OutId": delivery_id,  # Aliyun's receipts name it: the delivery it was
    }
    query["Signature"] = aliyun_signature(account.key_secret, "GET", query)
    try:
        response = requests.get(account.endpoint or ALIYUN_ENDPOINT, params=query, timeout=timeout)
    except requests.RequestException as exc:
        raise Retry(f"Aliyun SMS unreachable: {type(exc).__name__}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    code = answer.get("Code") or f"HTTP {response.status_code}"
    if response.status_code == 200 and code == "OK":
        return
    why = f"Aliyun SMS refused the message: {code} {answer.get('Message', '')}".strip()
    if response.status_code >= 500 or code.startswith(ALIYUN_RETRY):
        raise Retry(why)
    raise Permanent(why)


# --- Tencent Cloud: through its SDK ---------------------------------------------------------------------------------
def _send_tencent(account: SmsAccount, phone: str, template_id: str, params, delivery_id: str, timeout: float):
    from tencentcloud.common import credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    endpoint = account.endpoint or TENCENT_ENDPOINT
    scheme, _, host = endpoint.rpartition("://")
    profile = ClientProfile(httpProfile=HttpProfile(protocol=scheme or "https", endpoint=host, reqTimeout=timeout))
    client = sms_client.SmsClient(credential.Credential(account.key_id, account.key_secret), account.region, profile)
    request = models.SendSmsRequest()
    request.PhoneNumberSet, request.SmsSdkAppId, request.SignName = [phone], account.sdk_app_id, account.sign_name
    request.TemplateId, request.TemplateParamSet = template_id, [value for _, value in params]
    request.SessionContext = delivery_id  # returned in Tencent's receipts: the delivery it was
    try:
        answer = client.SendSms(request)
    except TencentCloudSDKException as exc:
        why = f"Tencent Cloud SMS refused the request: {exc.code} {exc.message}"
        raise (Retry if str(exc.code or "").startswith(TENCENT_RETRY) else Permanent)(why) from exc
    status = (answer.SendStatusSet or [None])[0]
    if status is None:
        raise Retry("Tencent Cloud SMS answered without a send status")
    if status.Code != "Ok":
        why = f"Tencent Cloud SMS refused the message: {status.Code} {status.Message}"
        raise (Retry if status.Code.startswith(TENCENT_RETRY) else Permanent)(why)
