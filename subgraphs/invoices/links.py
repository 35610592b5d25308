"""Signed, expiring invoice PDF links: the link is the permission to download the PDF.

``Invoice.pdfUrl`` is ``<INVOICES_PUBLIC_URL>/invoices/<id>.pdf?expires=<unix>&signature=<hex>``,
where ``signature`` is HMAC-SHA256, with the invoices service's own key
(``INVOICES_PDF_SIGNING_KEY``), of ``invoice-pdf``, the id and ``expires``. The public URL is
the router's file route (``files:`` in router.yaml passes ``/files/invoices/…`` to this
service's ``/invoices/…``), so a link works for ``INVOICES_PDF_LINK_SECONDS`` (15 minutes) and
only for that invoice. A service without a configured key signs with a random key of its
own: links still work, but only on that process and until it restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from .config import PaymentSettings

PURPOSE = b"invoice-pdf"
logger = logging.getLogger("switchboard.invoices")


@dataclass(frozen=True, slots=True)
class LinkRefused:
    """Why a PDF request is refused: HTTP status, code and a one-word reason."""

    status: int
    code: str
    reason: str
    message: str

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "reason": self.reason, "message": self.message}}


MISSING = LinkRefused(
    401, "UNAUTHENTICATED", "missing",
    "An invoice PDF needs a signed link: query the invoice's pdfUrl and follow it.",
)  # fmt: skip
BAD_SIGNATURE = LinkRefused(
    403, "FORBIDDEN", "signature", "The link's signature is not valid for this invoice."
)
EXPIRED = LinkRefused(
    403, "FORBIDDEN", "expired", "The link has expired: query the invoice's pdfUrl again."
)


@dataclass(frozen=True)
class PdfLinks:
    """Makes and checks the links of one service (``base`` is the public URL)."""

    key: bytes = field(repr=False)
    base: str
    seconds: int
    clock: Callable[[], float] = time.time

    @classmethod
    def of(cls, settings: PaymentSettings) -> PdfLinks:
        key = settings.pdf_signing_key.get_secret_value()
        if not key:
            logger.warning(
                "INVOICES_PDF_SIGNING_KEY is not set: invoice PDF links are signed with a key "
                "of this process and stop working when it restarts (or on another replica)"
            )
            key = secrets.token_urlsafe(32)
        return cls(key.encode(), settings.public_url, settings.pdf_link_seconds)

    def url(self, invoice_id: str) -> str:
        expires = int(self.clock()) + self.seconds
        signature = self._sign(invoice_id, expires)
        path = quote(invoice_id, safe="")
        return f"{self.base}/invoices/{path}.pdf?expires={expires}&signature={signature}"

    def check(
        self, invoice_id: str, expires: str | None, signature: str | None
    ) -> LinkRefused | None:
        """None if the link is good for ``invoice_id`` now; else why it is refused."""
        if not expires or not signature:
            return MISSING
        if not expires.isdigit() or len(expires) > 12:
            return BAD_SIGNATURE
        expected = self._sign(invoice_id, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return BAD_SIGNATURE
        if int(expires) <= self.clock():
            return EXPIRED
        return None

    def _sign(self, invoice_id: str, expires: int) -> str:
        message = b"\n".join((PURPOSE, invoice_id.encode(), str(expires).encode()))
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()
