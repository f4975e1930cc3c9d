"""Is the From address of a mail really its sender? DKIM, SPF and DMARC alignment, or the receiving server's
Authentication-Results.

From is what a mail client shows and what anybody can type: an envelope sender ``attacker@evil.test`` with
``From: alice@corp.test`` closed Alice's ticket. So the desk trusts From only after one of:

- mail handed to our SMTP listener: a DKIM signature that verifies (dkimpy) or an SPF pass for the envelope
  sender and client IP (pyspf), whose domain is *aligned* with From's (DMARC, relaxed: the same domain or
  one a subdomain of the other). A signature of evil.test never vouches for corp.test.
- mail fetched by IMAP: our server already ran those checks and wrote them down in an
  ``Authentication-Results`` header. Only headers with the configured authserv-id count (anyone can write
  such a header into a mail; the receiving server strips or overrides its own id, nobody else's).
- a desk whose MTA already refuses mail failing DMARC says so (ATENDE_MAIL_MTA_ENFORCES_DMARC) and From is
  trusted as it is.

DNS is injectable (``resolver``: name -> TXT strings) so tests run without a network; by default dkimpy and
pyspf ask the system's resolver (dnspython).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Any

import dkim
import spf

log = logging.getLogger(__name__)

#: name -> the TXT strings published there ([] when none). Tests serve their records through one.
TxtResolver = Callable[[str], list[str]]

MAX_SIGNATURES = 5  # a mail with more DKIM-Signature headers is not worth more DNS look-ups
DNS_TIMEOUT_S = 5


@dataclass(frozen=True, slots=True)
class SmtpClient:
    """Who handed a mail to our SMTP listener: what SPF is checked against."""

    ip: str | None = None
    helo: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    verified: bool
    how: str  # "dkim:corp.test", "spf:corp.test", "auth-results:dmarc", "mta", or why not

    def __bool__(self) -> bool:
        return self.verified


def domain_of(address: str | None) -> str:
    return (address or "").strip("<> ").rpartition("@")[2].lower().rstrip(".")


def aligned(domain: str, from_domain: str) -> bool:
    """DMARC relaxed alignment, without a public-suffix list: the same domain, or one a subdomain of the
    other (only the owner of a domain can publish keys or SPF under it, so neither direction lets a
    stranger vouch for it)."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain or "." not in domain or "." not in from_domain:
        return False
    return domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)


class _SpfQuery(spf.query):  # type: ignore[misc]
    """pyspf's query with TXT answered by our resolver (other record types: none)."""

    resolver: TxtResolver

    def dns(self, name: str, qtype: str, cnames: Any = None, ignore_void: bool = False) -> list[Any]:
        if qtype not in ("TXT", "SPF"):
            return []
        return [[s.encode()] for s in self.resolver(name.rstrip("."))]


class SenderVerifier:
    """DKIM + SPF with DMARC alignment for SMTP mail; Authentication-Results for IMAP mail."""

    def __init__(self, *, resolver: TxtResolver | None = None, trusted_authserv_id: str | None = None,
                 mta_enforces_dmarc: bool = False) -> None:
        self.resolver = resolver
        self.trusted_authserv_id = (trusted_authserv_id or "").strip().lower() or None
        self.mta_enforces_dmarc = mta_enforces_dmarc

    # --- mail handed to the SMTP listener ---
    def verify_smtp(self, raw: bytes, from_address: str, *, envelope_from: str | None,
                    client_ip: str | None, helo: str | None) -> Verdict:
        if self.mta_enforces_dmarc:
            return Verdict(True, "mta")
        from_domain = domain_of(from_address)
        for domain in self._dkim_domains(raw):
            if aligned(domain, from_domain):
                return Verdict(True, f"dkim:{domain}")
        mail_from_domain = domain_of(envelope_from)
        if client_ip and mail_from_domain and aligned(mail_from_domain, from_domain):
            result = self._spf(client_ip, (envelope_from or "").strip("<> "), helo or mail_from_domain)
            if result == "pass":
                return Verdict(True, f"spf:{mail_from_domain}")
        return Verdict(False, "no aligned DKIM signature or SPF pass")

    def _dkim_domains(self, raw: bytes) -> Iterable[str]:
        """Domains (d=) of the signatures that verify."""
        try:
            checker = dkim.DKIM(raw, timeout=DNS_TIMEOUT_S)
            count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
        except Exception:  # a mail dkimpy cannot even read is simply not signed
            return
        for idx in range(min(count, MAX_SIGNATURES)):
            try:
                ok = checker.verify(idx=idx, dnsfunc=self._dkim_dns) if self.resolver else \
                    checker.verify(idx=idx)
            except Exception as exc:  # malformed signature, key or DNS trouble: this one does not count
                log.info("DKIM signature %d not verified: %s", idx, exc)
                continue
            if ok and checker.domain:
                yield checker.domain.decode("ascii", "replace").lower()

    def _dkim_dns(self, name: bytes | str, timeout: int = DNS_TIMEOUT_S) -> bytes | None:
        assert self.resolver is not None
        host = name.decode() if isinstance(name, bytes) else name
        records = self.resolver(host.rstrip("."))
        return records[0].encode() if records else None

    def _spf(self, ip: str, sender: str, helo: str) -> str:
        try:
            if self.resolver is None:
                result, _, _ = spf.check2(i=ip, s=sender, h=helo, timeout=DNS_TIMEOUT_S)
                return str(result)
            query = _SpfQuery(i=ip, s=sender, h=helo, timeout=DNS_TIMEOUT_S)
            query.resolver = self.resolver
            result, _, _ = query.check()
            return str(result)
        except Exception as exc:
            log.info("SPF check failed: %s", exc)
            return "temperror"

    # --- mail fetched by IMAP ---
    def verify_auth_results(self, msg: Message, from_address: str) -> Verdict:
        if self.mta_enforces_dmarc:
            return Verdict(True, "mta")
        if self.trusted_authserv_id is None:
            return Verdict(False, "no trusted authserv-id configured")
        from_domain = domain_of(from_address)
        for value in _header_values(msg, "Authentication-Results"):
            authserv, results = parse_auth_results(value)
            if authserv != self.trusted_authserv_id:
                continue
            for method, result, props in results:
                if result != "pass":
                    continue
                if method == "dmarc" and aligned(props.get("header.from", ""), from_domain):
                    return Verdict(True, "auth-results:dmarc")
                if method == "dkim" and aligned(props.get("header.d", domain_of(props.get("header.i"))),
                                                from_domain):
                    return Verdict(True, "auth-results:dkim")
                if method == "spf" and aligned(domain_of(props.get("smtp.mailfrom")), from_domain):
                    return Verdict(True, "auth-results:spf")
        return Verdict(False, "no passing Authentication-Results from the trusted server")


def _header_values(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name, [])]
    except Exception:
        return [v for k, v in msg.raw_items() if k.lower() == name.lower()]


_COMMENT = re.compile(r"\([^()]*\)")


def parse_auth_results(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """RFC 8601 ``authserv-id [version]; method=result prop=value ...; ...`` -> (authserv-id, results).
    Comments are dropped; anything unreadable yields no result rather than an error."""
    text = " ".join(_COMMENT.sub(" ", value).split())
    head, *parts = text.split(";")
    authserv = (head.split() or [""])[0].lower()
    results: list[tuple[str, str, dict[str, str]]] = []
    for part in parts:
        tokens = part.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].partition("=")
        props: dict[str, str] = {}
        for tok in tokens[1:]:
            key, eq, val = tok.partition("=")
            if eq:
                props[key.lower()] = val.strip('"').lower()
        results.append((method.lower().split("/")[0], result.lower(), props))
    return authserv, results
