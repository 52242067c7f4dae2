"""Where notify may send integrators' webhooks: public addresses only, unless an operator allows a network.

A webhook URL is an address an API client chooses, and notify POSTs to it from inside the deployment: left open,
that lets a client reach loopback, the private network, or a cloud metadata address (SSRF). The URL is checked
when it is subscribed, and again at every send, on the addresses the name resolves to at that moment; the socket
then connects to the address that was checked (a name that resolved to a public address at the check cannot
resolve to 127.0.0.1 for the connection: DNS rebinding). Redirects are never followed.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


def parse_networks(raw: str | None) -> tuple[Network, ...]:
    """`127.0.0.0/8, 10.20.0.0/16, ::1` → networks (a bare address is a network of one)."""
    networks = []
    for part in (raw or "").split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ValueError(f"WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS: {part!r} is not a network: {exc}") from exc
    return tuple(networks)


def _kind(address: Address) -> str | None:
    """Why an address is not public, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:  # 100.64.0.0/10 (carrier-grade NAT), 192.0.0.0/24, ...
        return "non-global"
    return None


def refusal(address: Address, allowed: tuple[Network, ...]) -> str | None:
    """The reason `address` is refused, or None when webhooks may reach it."""
    if any(address in network for network in allowed):
        return None
    kind = _kind(address)
    return None if kind is None else f"{address} is a {kind} address"


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to now (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    found = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if address not in found:
            found.append(address)
    return found


def checked_address(host: str, port: int, allowed: tuple[Network, ...]) -> Address:
    """The address to connect to: every address the name resolves to must be allowed (one bad answer refuses)."""
    addresses = resolve(host, port)
    if not addresses:
        raise RefusedAddress(f"{host} resolves to no address")
    reasons = [r for r in (refusal(a, allowed) for a in addresses) if r]
    if reasons:
        raise RefusedAddress(f"{host} resolves to a refused address: {'; '.join(reasons)}")
    return addresses[0]


def check_url(url: str, allowed: tuple[Network, ...]) -> str | None:
    """At subscription: the reason the URL is refused, or None. A name that does not resolve yet is accepted: it
    is checked again at every send."""
    parts = urlsplit(url)
    if not parts.hostname:
        return "the URL has no host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the URL's port is not a number from 0 to 65535"
    try:
        checked_address(parts.hostname, port, allowed)
    except RefusedAddress as exc:
        return (f"{exc}; webhooks may reach public addresses only (an operator can allow a network with "
                "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS)")
    except (OSError, UnicodeError):
        return None
    return None


class _Guard:
    """Mixed into urllib3's connections: resolve, check, and connect to the address that was checked."""

    allowed_networks: tuple[Network, ...] = ()

    def _new_conn(self):
        host = getattr(self, "_wangge_host", None) or self._dns_host
        self._wangge_host = host
        try:
            address = checked_address(host, self.port, self.allowed_networks)
        except OSError as exc:
            raise RefusedAddress(f"{host} does not resolve: {exc}") from exc
        self._dns_host = str(address)  # TLS still checks the certificate against the name (self.host)
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections go only where `allowed` and the public-address rule let them."""

    def __init__(self, allowed: tuple[Network, ...] = ()):
        self.allowed = allowed
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        attrs = {"allowed_networks": self.allowed}
        http = type("GuardedHTTPConnection", (_Guard, HTTPConnection), attrs)
        https = type("GuardedHTTPSConnection", (_Guard, HTTPSConnection), attrs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def session(allowed: tuple[Network, ...]) -> requests.Session:
    """A session for webhooks: guarded connections, no proxies or .netrc from the environment."""
    guarded = requests.Session()
    guarded.trust_env = False
    guarded.mount("http://", GuardedAdapter(allowed))
    guarded.mount("https://", GuardedAdapter(allowed))
    return guarded
