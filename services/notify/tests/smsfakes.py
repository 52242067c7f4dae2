"""Local fakes of the Aliyun SMS and Tencent Cloud SMS APIs, written from the providers' documentation: each checks
the request's signature (recomputed here independently of notify's code), the approved signature name and template
ids, and answers like the provider (success, or its error codes)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

from flask import Flask, jsonify, request

ALIYUN_KEY = ("LTAI5tFAKEKEYID000000", "fake-aliyun-secret")
TENCENT_KEY = ("AKIDfakeTencentSecretId000000", "fake-tencent-secret-key")
SIGN_NAME = "韶山镇人大"


def _aliyun_encode(value: str) -> str:
    # the documentation's percentEncode: URL-encode (UTF-8), then "+" -> %20, "*" -> %2A, %7E -> "~"
    return urllib.parse.quote_plus(value, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def aliyun_app(templates: dict, *, throttle_first: int = 0) -> Flask:
    """dysmsapi 2017-05-25 SendSms over the RPC interface (GET, signature version 1.0, HMAC-SHA1)."""
    app = Flask("fake_aliyun_sms")
    app.json.ensure_ascii = False
    state = app.config["state"] = {"messages": [], "throttle_left": throttle_first, "nonces": set()}

    @app.get("/")
    def rpc():
        params = request.args.to_dict()
        signature = params.pop("Signature", "")
        canonical = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(params[k])}" for k in sorted(params))
        to_sign = "GET&" + _aliyun_encode("/") + "&" + _aliyun_encode(canonical)
        expected = base64.b64encode(hmac.new((ALIYUN_KEY[1] + "&").encode(), to_sign.encode(), "sha1").digest())
        if params.get("AccessKeyId") != ALIYUN_KEY[0]:
            return jsonify(Code="InvalidAccessKeyId.NotFound", Message="Specified access key is not found."), 404
        if not hmac.compare_digest(expected.decode(), signature):
            return jsonify(Code="SignatureDoesNotMatch", Message="Specified signature is not matched."), 400
        if params.get("SignatureNonce") in state["nonces"]:
            return jsonify(Code="SignatureNonceUsed", Message="Specified signature nonce was used already."), 400
        state["nonces"].add(params.get("SignatureNonce"))
        if (params.get("Action"), params.get("Version"), params.get("SignatureVersion")) != (
                "SendSms", "2017-05-25", "1.0"):
            return jsonify(Code="InvalidAction", Message="unsupported action or version"), 400
        if state["throttle_left"] > 0:
            state["throttle_left"] -= 1
            return jsonify(Code="isv.BUSINESS_LIMIT_CONTROL", Message="触发分钟级流控Permits:1", RequestId="r"), 200
        if params.get("SignName") != SIGN_NAME:
            return jsonify(Code="isv.SMS_SIGNATURE_ILLEGAL", Message="该账号下找不到对应签名", RequestId="r"), 200
        names = templates.get(params.get("TemplateCode"))
        values = json.loads(params.get("TemplateParam") or "{}")
        if names is None or set(values) != set(names):
            return jsonify(Code="isv.SMS_TEMPLATE_ILLEGAL", Message="该账号下找不到对应模板", RequestId="r"), 200
        phone = params.get("PhoneNumbers", "")
        if not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            return jsonify(Code="isv.MOBILE_NUMBER_ILLEGAL", Message="非法手机号", RequestId="r"), 200
        state["messages"].append({"to": phone, "template": params["TemplateCode"], "values": values,
                                  "out_id": params.get("OutId")})
        return jsonify(Code="OK", Message="OK", BizId=f"biz{len(state['messages'])}", RequestId="r")

    return app


def _tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    signing = sign(sign(sign(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def tencent_app(templates: dict, sdk_app_id: str, *, fail_with: list | None = None) -> Flask:
    """sms 2021-01-11 SendSms (POST JSON, TC3-HMAC-SHA256)."""
    app = Flask("fake_tencent_sms")
    app.json.ensure_ascii = False
    state = app.config["state"] = {"messages": [], "fail_with": list(fail_with or [])}

    def error(code, message):
        return jsonify(Response={"Error": {"Code": code, "Message": message}, "RequestId": "r"})

    @app.post("/")
    def api():
        auth = request.headers.get("Authorization", "")
        fields = dict(part.strip().split("=", 1) for part in auth.removeprefix("TC3-HMAC-SHA256 ").split(","))
        secret_id, date, service, _ = fields.get("Credential", "///").split("/")
        signed_headers = fields.get("SignedHeaders", "")
        canonical_headers = "".join(f"{name}:{request.headers.get(name, '').lower()}\n"
                                    for name in signed_headers.split(";"))
        canonical = "\n".join(["POST", "/", "", canonical_headers, signed_headers,
                               hashlib.sha256(request.get_data()).hexdigest()])
        timestamp = request.headers.get("X-TC-Timestamp", "")
        to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{date}/{service}/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        if secret_id != TENCENT_KEY[0]:
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        if fields.get("Signature") != _tc3_signature(TENCENT_KEY[1], date, service, to_sign):
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if (request.headers.get("X-TC-Action"), request.headers.get("X-TC-Version")) != ("SendSms", "2021-01-11"):
            return error("InvalidAction", "unsupported action or version")
        if state["fail_with"]:
            return error(state["fail_with"].pop(0), "injected failure")
        body = request.get_json()
        if body.get("SmsSdkAppId") != sdk_app_id:
            return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist.")
        statuses = []
        for phone in body["PhoneNumberSet"]:
            names = templates.get(body.get("TemplateId"))
            if body.get("SignName") != SIGN_NAME:
                code = "FailedOperation.SignatureIncorrectOrUnapproved"
            elif names is None or len(names) != len(body.get("TemplateParamSet") or []):
                code = "FailedOperation.TemplateIncorrectOrUnapproved"
            elif not (phone.startswith("+861") and len(phone) == 14):
                code = "InvalidParameterValue.IncorrectPhoneNumber"
            else:
                code = "Ok"
                state["messages"].append({"to": phone, "template": body["TemplateId"],
                                          "values": body.get("TemplateParamSet"),
                                          "context": body.get("SessionContext")})
            statuses.append({"SerialNo": "2028:1", "PhoneNumber": phone, "Fee": 1, "SessionContext":
                             body.get("SessionContext", ""), "Code": code, "Message": "send success" if code == "Ok"
                             else "refused", "IsoCode": "CN"})
        return jsonify(Response={"SendStatusSet": statuses, "RequestId": "r"})

    return app
