"""Minting people's access tokens (RFC 9068 JWT profile, EdDSA/Ed25519), and the issuer's public key set (JWKS).

The portal mints one per request for the signed-in person; the services verify them with `auth.TokenVerifier`.
In production the province's OIDC identity provider can be the issuer instead (see docs/operations.md).
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .auth import TOKEN_TYPE


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class TokenIssuer:
    """Signs short-lived access tokens with one Ed25519 key (a 32-byte seed, hex)."""

    def __init__(self, issuer: str, seed_hex: str, *, audience: str = "wangge", client_id: str = "wangge-portal",
                 ttl_s: int = 300):
        self.issuer, self.audience, self.client_id, self.ttl_s = issuer, audience, client_id, ttl_s
        self._key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex.strip()))
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.kid = _b64(hashlib.sha256(public).digest()[:12])
        self._public = public

    def jwks(self) -> dict:
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64(self._public), "kid": self.kid,
                          "alg": "EdDSA", "use": "sig"}]}

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def mint(self, subject: str, *, scopes, name: str | None = None, grids=None, departments=None,
             actor_kind: str = "person", ttl_s: int | None = None, deputy: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": subject, "aud": self.audience, "client_id": self.client_id,
                  "iat": now, "exp": now + (ttl_s if ttl_s is not None else self.ttl_s), "jti": uuid.uuid4().hex,
                  "scope": " ".join(sorted(scopes)), "wangge_actor": actor_kind}
        if name:
            claims["name"] = name
        if grids is not None:
            claims["wangge_grids"] = sorted(grids)
        if departments is not None:
            claims["wangge_departments"] = sorted(departments)
        if deputy:  # the roster deputy this person is: what they record as their own duties
            claims["wangge_deputy"] = str(deputy)
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"typ": TOKEN_TYPE, "kid": self.kid})


def new_seed() -> str:
    import os

    return os.urandom(32).hex()
