"""The guard against server-side request forgery: a webhook goes only to a public address.

A URL is refused when its scheme is not http/https, it carries a user name or password, or its host
is (or resolves to) an address that is not global: loopback, private, link-local, multicast,
reserved, unspecified, shared (CGNAT), documentation… in any notation. IPv4 literals are read the way
the C resolver reads them (`inet_aton`: `127.1`, `0x7f000001`, `0177.0.0.1`, `2130706433`), and
IPv6 addresses that embed an IPv4 one (`::ffff:127.0.0.1`, 6to4, Teredo, NAT64) are judged by it.
Hosts listed in the WEBHOOK_ALLOWED_HOSTS setting are exempt (an ERP on the company's own network).

The check runs when a URL is saved and again before each send and each redirect hop; the sender
then connects to the very address that was checked (no second DNS lookup to rebind).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """A URL that webhooks may not call; `str(exc)` is a message for the administrator."""


@dataclass(frozen=True)
class Target:
    url: str
    raw_host: str  # as written in the URL, for messages
    scheme: str
    host: str  # ASCII, lower case, without brackets; an IPv4 literal in dotted-quad form
    port: int
    path: str  # path and query, as sent in the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _ip_literal(host: str) -> IPAddress | None:
    """The address a host string denotes by itself, in any notation, or None for a DNS name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise UnsafeURL(_("The URL's host is not a valid IPv6 address.")) from exc
    try:
        # inet_aton accepts the legacy forms (127.1, 0x7f.1, 0177.0.0.1, 2130706433) exactly as the
        # resolver and most HTTP libraries do, so we judge the address that would really be used.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether an address is globally routable (and not a special-purpose one of any kind)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public(embedded):
            return False
        # Also refuses IPv4-compatible addresses (::127.0.0.1), which fall in the reserved ::/8.
    return bool(
        ip.is_global
        and not (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
        )
    )


def _normalise_host(host: str, bracketed: bool) -> str:
    if bracketed:
        if "%" in host:
            raise UnsafeURL(_("IPv6 zone identifiers are not allowed in webhook URLs."))
        return str(_ip_literal(host) or host)
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise UnsafeURL(_("The URL's host name is not valid.")) from exc
    ascii_host = ascii_host.rstrip(".")
    literal = _ip_literal(ascii_host)
    if literal is not None:
        return str(literal)
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in ascii_host.split(".")):
        raise UnsafeURL(_("The URL's host name is not valid."))
    return ascii_host


def parse(url: str) -> Target:
    """Check the form of a URL (scheme, credentials, host, port); no DNS lookup."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(_("Enter a URL of at most %(max)s characters.") % {"max": MAX_URL_LENGTH})
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url) or "\\" in url:
        raise UnsafeURL(_("The URL may not contain spaces, control characters or backslashes."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(_("The URL is not valid (check the host and the port).")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(_("Only http:// and https:// URLs can receive webhooks."))
    if "@" in parts.netloc:
        raise UnsafeURL(
            _("URLs with a user name or password are not allowed: the request is signed with the secret.")
        )
    if not parts.hostname:
        raise UnsafeURL(_("The URL has no host."))
    if port == 0:
        raise UnsafeURL(_("The URL is not valid (check the host and the port)."))
    host = _normalise_host(parts.hostname, bracketed=parts.netloc.startswith("["))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default_port = 443 if scheme == "https" else 80
    return Target(
        url=url, raw_host=parts.hostname, scheme=scheme, host=host, port=port or default_port, path=path
    )


def _allowed_hosts() -> set[str]:
    allowed = set()
    for entry in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []):
        entry = entry.strip().lower()
        bracketed = entry.startswith("[") and entry.endswith("]")
        entry = entry.strip("[]")
        if not entry:
            continue
        try:
            allowed.add(_normalise_host(entry, bracketed=bracketed or ":" in entry))
        except UnsafeURL:
            continue
    return allowed


def is_allowed_host(host: str) -> bool:
    return host in _allowed_hosts()


def _getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    """The one DNS lookup of webhooks (the tests replace it: they resolve no real name)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _lookup(host: str, port: int) -> list[IPAddress]:
    try:
        infos = _getaddrinfo(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(_("The host name %(host)s could not be resolved.") % {"host": host}) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeURL(_("The host name %(host)s could not be resolved.") % {"host": host})
    return addresses


def _refuse(target: Target, ip: IPAddress, literal: bool) -> UnsafeURL:
    if literal:
        reason = _("Refused: %(host)s is the internal address %(ip)s.") % {"host": target.raw_host, "ip": ip}
    else:
        reason = _("Refused: %(host)s resolves to the internal address %(ip)s.") % {
            "host": target.raw_host,
            "ip": ip,
        }
    rule = _(
        "Webhooks go only to public addresses, not to loopback, private, link-local or reserved ones; "
        "the server's administrator can allow an internal host with the WEBHOOK_ALLOWED_HOSTS setting."
    )
    return UnsafeURL(f"{reason} {rule}")


def resolve(target: Target) -> list[IPAddress]:
    """The addresses to connect to, every one of them checked (unless the host is allowed)."""
    literal = _ip_literal(target.host)
    addresses = [literal] if literal is not None else _lookup(target.host, target.port)
    if is_allowed_host(target.host):
        return addresses
    for ip in addresses:
        if not is_public(ip):
            raise _refuse(target, ip, literal is not None)
    return addresses


def check_url(url: str) -> tuple[Target, list[IPAddress]]:
    """Parse, resolve and check a URL; raises UnsafeURL with a clear message."""
    target = parse(url)
    return target, resolve(target)
