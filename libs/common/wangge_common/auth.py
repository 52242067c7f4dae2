"""Who may call: API keys with scopes (stored as SHA-256 hashes) or a person's access token (an RFC 9068 JWT from a
trusted issuer, e.g. the portal); every endpoint is private unless marked public. A token also carries the person's
data scope (grids, departments), which the services enforce with `require_grid` / `require_department`."""
from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, request

# Scopes are declared by the service whose routes need them (`ServiceSpec.scopes` in each <svc>/service.py); these
# few belong to the shared infrastructure every service serves (e.g. /v1/internal/outbox/republish in http.py).
COMMON_SCOPES = {
    "outbox:republish": "operators: have a service publish events of its outbox again (wangge reconcile --republish)",
}
SCOPE_FORM = re.compile(r"[a-z_]+:[a-z_]+")


def service_scopes(spec) -> dict[str, str]:
    """Every scope a service's routes may require: its own (ServiceSpec.scopes) and the shared infrastructure's."""
    return {**COMMON_SCOPES, **spec.scopes}


KEY_PREFIX = "wg_"


class AuthError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    scopes: frozenset[str]


def hash_key(raw: str) -> str:
    # Keys are 32 random bytes, not passwords: a fast hash is enough, and it keeps auth cheap per request.
    return hashlib.sha256(raw.encode()).hexdigest()


def new_key(name: str, scopes: list[str], known=None) -> tuple[str, dict]:
    """A fresh key and the entry (with only its hash) to put into WANGGE_API_KEYS / the keys file. A key may carry
    the scopes of several services (keys are shared across services); `known` (every installed service's scopes, as
    `wangge apikey new` gathers them) refuses a scope no service declares."""
    unknown = sorted(s for s in scopes if not SCOPE_FORM.fullmatch(s) or (known is not None and s not in known))
    if unknown:
        listed = f"; known: {', '.join(sorted(known))}" if known is not None else " (a scope is <area>:<verb>)"
        raise ValueError(f"unknown scopes: {', '.join(unknown)}{listed}")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, {"name": name, "sha256": hash_key(raw), "scopes": sorted(scopes)}


def load_keys(api_keys_json: str | None, api_keys_file: str | None) -> dict[str, ApiKey]:
    """The keys a service accepts. A key's scopes may name other services' scopes (the same keys file serves every
    service); they are checked against all services where the key is made (`new_key`), here only for their form."""
    entries = []
    if api_keys_file:
        entries += json.loads(Path(api_keys_file).read_text(encoding="utf-8"))
    if api_keys_json:
        entries += json.loads(api_keys_json)
    keys = {}
    for entry in entries:
        malformed = [s for s in entry["scopes"] if not isinstance(s, str) or not SCOPE_FORM.fullmatch(s)]
        if malformed:
            raise ValueError(f"API key {entry['name']!r} has malformed scopes {sorted(map(str, malformed))}")
        keys[entry["sha256"]] = ApiKey(entry["name"], entry["sha256"], frozenset(entry["scopes"]))
    return keys


def public(view):
    """Mark a view as reachable without a key (the explicit exception)."""
    view._wangge_public = True
    return view


def requires(scope: str, *alternatives: str):
    """Require a key carrying `scope` (or one of `alternatives`) for this view. The running service must declare
    every one of them (ServiceSpec.scopes): `check_every_view_is_guarded` refuses to start otherwise."""
    for needed in (scope, *alternatives):
        if not SCOPE_FORM.fullmatch(needed):
            raise ValueError(f"malformed scope {needed!r} (a scope is <area>:<verb>)")

    def decorate(view):
        view._wangge_scope = scope
        view._wangge_scopes = (scope, *alternatives)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            for other in alternatives:
                try:
                    authorize(other)
                    break
                except AuthError:
                    continue
            else:
                authorize(scope)
            return view(*args, **kwargs)

        wrapper._wangge_scope = scope
        wrapper._wangge_scopes = (scope, *alternatives)
        return wrapper

    return decorate


def authorize(scope: str):
    """The caller of this request (an ApiKey or a token's Principal) if it holds `scope`; 401/403 otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise AuthError(401, "an API key or access token is required: send 'Authorization: Bearer <key or token>'")
    return authorize_credential(header[len("Bearer "):].strip(), scope)


def authorize_credential(credential: str, scope: str):
    """The caller holding this key or token if it carries `scope` (an AuthError otherwise); for the one API whose
    standard sends the key as a parameter (Open311's api_key), the Authorization header being the rule elsewhere."""
    declared = _declared_scopes()
    if declared is not None and scope not in declared:  # a programming error, not the caller's: a 500
        raise RuntimeError(f"{current_app.name} checks the scope {scope!r} it does not declare in its ServiceSpec")
    if credential.count(".") == 2 and not credential.startswith(KEY_PREFIX):
        found = _verify_token(credential, declared)
        if scope not in found.scopes:
            raise AuthError(403, f"the access token of {found.actor} lacks the scope {scope!r}")
    else:
        # Keys are looked up by their SHA-256: timing can reveal nothing about a key from where its hash lands.
        found = current_app.extensions["wangge_api_keys"].get(hash_key(credential))
        if found is None:
            raise AuthError(401, "the API key is not known")
        if scope not in found.scopes:
            raise AuthError(403, f"the API key {found.name!r} lacks the scope {scope!r}")
    g.api_key = found
    return found


def actor() -> str:
    """Who is acting in this request, for the events it causes: `apikey:<name>` or `person:<id>`."""
    key = getattr(g, "api_key", None)
    if key is None:
        return "anonymous"
    return key.actor if isinstance(key, Principal) else f"apikey:{key.name}"


# --- people's access tokens ------------------------------------------------------------------------------------
TOKEN_TYPE = "at+jwt"  # RFC 9068: the JOSE header's typ of a JWT access token
TOKEN_ALGORITHMS = ["EdDSA", "ES256", "RS256"]  # EdDSA from the portal; the others for a province OIDC provider
ACTOR_KINDS = ("person", "resident")  # resident: the public online station acting for an anonymous resident


@dataclass(frozen=True)
class Principal:
    """A person (or the public online station) acting through an access token from a trusted issuer."""

    name: str  # unique per person: idempotency keys and logs are kept per caller
    scopes: frozenset[str]
    actor: str  # person:<id> on every event this request causes
    display_name: str | None = None
    grids: frozenset[str] | None = None  # None: not limited to grids
    departments: frozenset[str] | None = None  # None: not limited to departments
    deputy: str | None = None  # the roster deputy this person is (a deputy's account), else None


@dataclass
class TokenVerifier:
    """Checks access tokens against the issuer's public keys (a JWKS file or URL); configured per service."""

    issuer: str
    jwks: str  # a path, file:// or http(s):// URL of a JSON Web Key Set
    audience: str = "wangge"
    leeway_s: int = 30

    def __post_init__(self):
        import jwt

        if self.jwks.startswith(("http://", "https://")):
            client = jwt.PyJWKClient(self.jwks, cache_keys=True, lifespan=300)
            self._key_for = lambda token: client.get_signing_key_from_jwt(token).key
        else:
            path = Path(self.jwks[len("file://"):] if self.jwks.startswith("file://") else self.jwks)
            keys = jwt.PyJWKSet.from_dict(json.loads(path.read_text(encoding="utf-8")))
            self._key_for = lambda token: self._from_set(keys, token)

    @staticmethod
    def _from_set(keys, token: str):
        import jwt

        kid = jwt.get_unverified_header(token).get("kid")
        for key in keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError(f"no key {kid!r} in the issuer's key set")

    def verify(self, token: str, known=None) -> Principal:
        """The token's person; their scopes are those of the token that `known` holds (the running service's)."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ", "").lower() not in (TOKEN_TYPE, "application/" + TOKEN_TYPE):
                raise jwt.InvalidTokenError("not an access token (typ must be at+jwt, RFC 9068)")
            claims = jwt.decode(token, self._key_for(token), algorithms=TOKEN_ALGORITHMS, audience=self.audience,
                                issuer=self.issuer, leeway=self.leeway_s,
                                options={"require": ["exp", "iat", "sub", "iss", "aud", "client_id", "jti"]})
        except jwt.ExpiredSignatureError:
            raise AuthError(401, "the access token has expired") from None
        except jwt.PyJWTError as exc:
            raise AuthError(401, f"the access token is not valid: {exc}") from None
        return principal_from_claims(claims, known)


def principal_from_claims(claims: dict, known=None) -> Principal:
    """The person a token's claims describe. Their scopes keep only those `known` holds (a service passes the scopes
    it declares: a token's scope no service knows means nothing anywhere), never `contacts:read`."""
    kind = claims.get("wangge_actor", "person")
    if kind not in ACTOR_KINDS:
        raise AuthError(401, f"the access token names an unknown actor kind {kind!r}")
    scopes = frozenset(str(claims.get("scope", "")).split())
    if known is not None:
        scopes &= frozenset(known)
    scopes -= {"contacts:read"}  # clear phone numbers stay service-to-service, whatever a token says
    grids, departments = claims.get("wangge_grids"), claims.get("wangge_departments")
    return Principal(name=f"{kind}:{claims['sub']}", scopes=scopes, actor=f"{kind}:{claims['sub']}",
                     display_name=claims.get("name"),
                     grids=None if grids is None else frozenset(map(str, grids)),
                     departments=None if departments is None else frozenset(map(str, departments)),
                     deputy=str(claims["wangge_deputy"]) if claims.get("wangge_deputy") else None)


def load_token_verifier(issuer: str | None, jwks: str | None, audience: str | None = None) -> TokenVerifier | None:
    if not issuer and not jwks:
        return None
    if not (issuer and jwks):
        raise ValueError("WANGGE_TOKEN_ISSUER and WANGGE_TOKEN_JWKS go together: the issuer and its public keys")
    return TokenVerifier(issuer, jwks, audience or "wangge")


def _verify_token(token: str, known=None) -> Principal:
    verifier = current_app.extensions.get("wangge_token_verifier")
    if verifier is None:
        raise AuthError(401, "this service trusts no token issuer: send an API key")
    return verifier.verify(token, known)


def _declared_scopes() -> dict[str, str] | None:
    """The scopes the running service declares; None outside a service's app (no wangge runtime)."""
    runtime = current_app.extensions.get("wangge_runtime")
    return service_scopes(runtime.spec) if runtime is not None else None


# --- data scope: the grids and departments a person's token is limited to -------------------------------------
def caller():
    return getattr(g, "api_key", None)


def grid_scope() -> frozenset[str] | None:
    """The grids the caller may see, or None when it is not limited to grids (an API key, a supervisor)."""
    who = caller()
    return who.grids if isinstance(who, Principal) else None


def own_deputy() -> str | None:
    """The roster deputy the caller is (a deputy's token), or None (API keys, staff, tokens that name none)."""
    who = caller()
    return who.deputy if isinstance(who, Principal) else None


def department_scope() -> frozenset[str] | None:
    who = caller()
    return who.departments if isinstance(who, Principal) else None


def require_grid(grid_id, what: str = "grid") -> None:
    """403 unless the caller may act in this grid (its data scope); always passes for API keys."""
    grids = grid_scope()
    if grids is not None and (grid_id is None or str(grid_id) not in grids):
        raise AuthError(403, f"the {what} is outside the grids of {caller().actor}")


def require_department(code, what: str = "work order") -> None:
    departments = department_scope()
    if departments is not None and str(code) not in departments:
        raise AuthError(403, f"the {what} belongs to another department than {caller().actor}'s")


def check_every_view_is_guarded(app, declared=None) -> None:
    """Fail at start-up if a view is neither public nor scoped (private by default, never by accident), or requires a
    scope the service does not declare in `declared` (its ServiceSpec.scopes with the common ones)."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or rule.endpoint.startswith("api-docs."):
            continue
        targets = [view]
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            targets = [getattr(view_class, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}]
        for target in targets:
            if not (getattr(target, "_wangge_public", False) or getattr(target, "_wangge_scope", None)):
                raise RuntimeError(f"view {rule.endpoint} ({rule.rule}) is neither @public nor @requires(scope)")
            undeclared = sorted(set(getattr(target, "_wangge_scopes", ())) - set(declared or ()))
            if declared is not None and undeclared:
                raise RuntimeError(f"view {rule.endpoint} ({rule.rule}) requires {', '.join(undeclared)}, which "
                                   f"{app.name} does not declare: add it to ServiceSpec.scopes in its service.py")
