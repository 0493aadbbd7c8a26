"""Rendering issued documents and receipts to PDF: their context, then one laid-out A4 page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.definitions.model import DocumentSpec, ServiceDefinition
from engine.payments import compute_fees
from renderers.documents.context import (
    DocumentTenant,
    Payer,
    ReceiptItem,
    _document_view,
    _Fee,
    _Helpers,
    _signer_views,
    valid_until,
)
from renderers.documents.errors import InvalidAmount
from renderers.documents.layout import SignatureSlot, _slots, document_spec, receipt_signature_slots
from renderers.documents.pdf import _to_pdf
from renderers.documents.templating import RECEIPT_TEMPLATE, TEMPLATES_DIR, _base_url, _final_html
from renderers.documents.thai_numbers import SATANG, baht_text


def _document_context(
    definition: ServiceDefinition,
    document_id: str,
    data: Mapping[str, Any],
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    verify_url: str,
    language: str,
    thai_numerals: bool,
    reference: str | None,
    submitted_on: date | None,
    local_rates: Mapping[str, Mapping[str, Any]] | None,
    signer_names: Mapping[str, str] | None,
    receipt_numbers: Sequence[str] = (),
) -> tuple[DocumentSpec, list[SignatureSlot], dict[str, Any]]:
    """What a document's template sees, with its spec and signature slots (see :func:`render_document`)."""
    spec = document_spec(definition, document_id)
    helpers = _Helpers(language=language, thai_numerals=thai_numerals, definition=definition)
    slots = _slots(spec.signers)
    fees = [
        _Fee(line.fee_id, line.title.get(language), line.amount, line.period)
        for line in compute_fees(definition.service, data, local_rates=local_rates)
    ]
    context = {
        **helpers.as_dict(),
        "lang": language,
        "tenant": tenant,
        "service": {
            "id": definition.id,
            "version": definition.version,
            "title": definition.service.title.get(language),
        },
        "document": _document_view(
            number=number,
            title=spec.title.get(language),
            issued_on=issued_on,
            verify_url=verify_url,
            validity_end=valid_until(issued_on, spec.validity),
            helpers=helpers,
            document_id=document_id,
        ),
        "submission": {
            "reference": reference or "",
            "submitted_on": submitted_on,
            "submitted_on_th": helpers.thai_date(submitted_on) if submitted_on else "",
        },
        "data": data,
        "fees": fees,
        "fees_total": sum((f.amount for f in fees), Decimal("0.00")),
        # The receipts the fees were paid by, so a permit can say which (empty when not known yet).
        "receipts": [helpers.n(number) for number in receipt_numbers],
        "signers": _signer_views(slots, language, signer_names),
    }
    return spec, slots, context


def render_document(
    definition: ServiceDefinition,
    document_id: str,
    data: Mapping[str, Any],
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    verify_url: str,
    language: str = "th",
    thai_numerals: bool = False,
    reference: str | None = None,
    submitted_on: date | None = None,
    local_rates: Mapping[str, Mapping[str, Any]] | None = None,
    signer_names: Mapping[str, str] | None = None,
    receipt_numbers: Sequence[str] = (),
) -> bytes:
    """The PDF (one A4 page, unsigned) of document ``document_id`` of ``definition`` for ``data``.

    ``number`` is the document's number as the tenant numbers them (e.g. ``15/2569``);
    ``verify_url`` the public verification page its QR code opens; ``reference`` and
    ``submitted_on`` the submission it answers; ``local_rates`` the tenant's fee rates;
    ``signer_names`` the names under the signature boxes by role, when known;
    ``receipt_numbers`` the receipts the fees were paid by, when known; ``language``
    the language of dates, titles, positions and option labels (the templates' own wording
    is Thai, as official documents are); ``thai_numerals`` writes numbers and dates in Thai
    digits. The body is set in 16 pt Sarabun, smaller by steps (down to 11 pt) only when the
    text would not end above the signatures; the same input always gives the same layout.

    Raises :class:`UnknownDocument`, :class:`TemplateError` (path and line),
    :class:`ForbiddenResource`, :class:`DocumentTooLong`, :class:`DocumentError` (a validity
    in service.json that is not a duration), or the fee errors of
    :func:`engine.payments.compute_fees` when the data lacks what a fee is computed from.
    """
    spec, slots, context = _document_context(
        definition,
        document_id,
        data,
        tenant=tenant,
        number=number,
        issued_on=issued_on,
        verify_url=verify_url,
        language=language,
        thai_numerals=thai_numerals,
        reference=reference,
        submitted_on=submitted_on,
        local_rates=local_rates,
        signer_names=signer_names,
        receipt_numbers=receipt_numbers,
    )
    return _to_pdf(definition.folder, spec.template, context, slots, [definition.folder])


def document_html(
    definition: ServiceDefinition,
    document_id: str,
    data: Mapping[str, Any],
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    verify_url: str,
    language: str = "th",
    thai_numerals: bool = False,
    reference: str | None = None,
    submitted_on: date | None = None,
    local_rates: Mapping[str, Mapping[str, Any]] | None = None,
    signer_names: Mapping[str, str] | None = None,
    receipt_numbers: Sequence[str] = (),
) -> tuple[str, str]:
    """The final HTML :func:`render_document` lays out for the same arguments, and its base URL.

    For comparing with WeasyPrint alone (``thongthin bench documents``) and for looking at
    the markup. No layout happens here, so the type size, the layout checks and the PDF are
    not part of it. Raises what :func:`render_document` raises before laying out.
    """
    spec, _, context = _document_context(
        definition,
        document_id,
        data,
        tenant=tenant,
        number=number,
        issued_on=issued_on,
        verify_url=verify_url,
        language=language,
        thai_numerals=thai_numerals,
        reference=reference,
        submitted_on=submitted_on,
        local_rates=local_rates,
        signer_names=signer_names,
        receipt_numbers=receipt_numbers,
    )
    html, path = _final_html(definition.folder, spec.template, context)
    return html, _base_url(path)


def render_receipt(
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    payer: Payer,
    items: Sequence[ReceiptItem],
    verify_url: str,
    reference: str | None = None,
    service_title: str | None = None,
    payment_method: str | None = None,
    cashier_name: str | None = None,
    language: str = "th",
    thai_numerals: bool = False,
) -> bytes:
    """The PDF of a receipt (ใบเสร็จรับเงิน) for ``items`` paid by ``payer``, one A4 page, unsigned.

    The total is written out in words (:func:`baht_text`). Raises :class:`InvalidAmount`
    for a negative item, :class:`TemplateError`, :class:`ForbiddenResource` or
    :class:`DocumentTooLong`.
    """
    helpers = _Helpers(language=language, thai_numerals=thai_numerals)
    amounts = [Decimal(str(item.amount)).quantize(SATANG, rounding=ROUND_HALF_UP) for item in items]
    for item, amount in zip(items, amounts, strict=True):
        if amount < 0:
            raise InvalidAmount(item.amount)
    total = sum(amounts, Decimal("0.00"))
    slots = receipt_signature_slots()
    context = {
        **helpers.as_dict(),
        "lang": language,
        "tenant": tenant,
        "document": _document_view(
            number=number,
            title="ใบเสร็จรับเงิน" if language == "th" else "Receipt",
            issued_on=issued_on,
            verify_url=verify_url,
            validity_end=None,
            helpers=helpers,
            document_id="receipt",
        ),
        "submission": {"reference": reference or "", "submitted_on": None, "submitted_on_th": ""},
        "service_title": service_title or "",
        "payment_method": payment_method or "",
        "payer": payer,
        "items": [
            ReceiptItem(item.description, amount, item.note)
            for item, amount in zip(items, amounts, strict=True)
        ],
        "total": total,
        "total_text": baht_text(total),
        "signers": _signer_views(
            slots, language, {"finance_officer": cashier_name} if cashier_name else None
        ),
    }
    return _to_pdf(TEMPLATES_DIR, RECEIPT_TEMPLATE, context, slots, [])
