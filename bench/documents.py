"""Issued documents per second, rendered and signed the platform's way, against WeasyPrint alone.

The document is the building permit (แบบ อ.1, signed by the local building official,
เจ้าพนักงานท้องถิ่น) of ``examples/building-permit/valid-new-house-owner.json``,
issued by the demo municipality on a fixed date so that every run lays out the same page.

The platform side is what :class:`thongthin.runners.DocumentIssuer` does on its worker
thread: :func:`renderers.documents.render_document` (template, SARA AM, WeasyPrint layout
in 16 pt and smaller steps until the text ends above the signatures, the layout checks,
the PDF), then the tenant's signing profile (:func:`signing.services.load_profile`) and
:func:`signing.services.sign_document` at the definition's PAdES level (B-LT: a certifying
and an approval signature, each with an RFC 3161 timestamp and the OCSP responses and
certificates embedded). The keys come from a throw-away development PKI whose TSA, OCSP
responder and CRLs are served on a free loopback port in this process, as the tests do
(``tests/signing_fixtures.py``); the PKI folder is deleted and the server stopped after.

The baseline is WeasyPrint alone on the same final HTML (:func:`renderers.documents.document_html`)
with the same stylesheets and fonts at the type size the platform settled on: one
``HTML(string=..., base_url=...).write_pdf()``, no sandboxed URL fetcher, no layout
checks, no second layout, no signature. The extras split the platform's time: rendering
alone, signing a pre-rendered PDF alone (both signatures), and verifying a signed one
(:func:`signing.verify.verify_pdf`, offline from the document's own validation data).
Every side is measured in the same alternating rounds (:func:`bench.timing.interleaved`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bench.timing import interleaved, result

SERVICE = "building-permit"
DOCUMENT = "permit"
EXAMPLE = "valid-new-house-owner.json"
TENANT = "maehia"
ISSUED_ON = date(2026, 1, 15)  # fixed: the dates' lengths (Thai month names) change the layout
SUBMITTED_ON = date(2026, 1, 8)
NUMBER = "15/2569"
REFERENCE = "MH-2569-000042"
VERIFY_URL = "http://127.0.0.1:8000/verify/8f3c2a91-5b7e-4d0c-9a61-2e4f7b1c3d55"
# The officers who act in the signers' roles: their names go under the boxes and into their
# certificates. (The demo accounts' display names, the roles' titles, do not fit: the
# building official's runs the signature block into the footer, a TemplateError.)
OFFICERS = {"engineer": "นายสมชาย ใจดี", "building_official": "นายประเสริฐ ศรีสุข"}


class BenchError(RuntimeError):
    """The benchmark could not run as intended (e.g. signing fell back below the definition's level)."""


def run(seconds: float = 3.0, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure every side for about ``seconds`` and return the result line.

    Raises :class:`BenchError` when signing does not reach the definition's PAdES level or
    the signed document does not verify as valid.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from engine.definitions import load_catalog
    from engine.definitions.locations import examples_dir
    from renderers.documents import (
        TEMPLATES_DIR,
        DocumentTenant,
        _page_css,  # the page, font and placement rules render_document adds to document.css
        document_html,
        last_render_stats,
        render_document,
        signature_boxes,
    )
    from signing.pki import DevPkiServer, Officer, create_dev_pki
    from signing.services import PKI_DIR_ENV, SignerSlot, load_profile, sign_document
    from signing.verify import verify_pdf
    from thongthin.demo import DEMO_TENANT

    catalog = load_catalog()
    definition = catalog.get(SERVICE)
    spec = definition.service.document(DOCUMENT)
    if spec is None:
        raise BenchError(f"{definition.key} declares no document {DOCUMENT!r}")
    data = json.loads((examples_dir() / SERVICE / EXAMPLE).read_text(encoding="utf-8"))
    # The demo municipality has no emblem: the runner puts none on the page either then.
    tenant = DocumentTenant(DEMO_TENANT["name_th"], DEMO_TENANT["name_en"], DEMO_TENANT["address_th"])
    officers = [Officer(TENANT, s.role, OFFICERS[s.role], DEMO_TENANT["name_th"]) for s in spec.signers]
    level = spec.pades_level

    with tempfile.TemporaryDirectory(prefix="thongthin-bench-pki-") as tmp:
        folder = Path(tmp) / "pki"
        server = DevPkiServer(port=0)
        try:
            pki = create_dev_pki(folder, officers, url=server.url)
            server.start(pki)
            # What the runner reads the profile from: the data folder's PKI, here the throw-away one.
            environ = {**os.environ, PKI_DIR_ENV: str(folder)}
            # Under the boxes and on the stamps, as the runner puts the audit trail's actors there.
            names = {officer.role: officer.name for officer in officers}
            boxes = signature_boxes(definition, DOCUMENT)
            slots = [
                SignerSlot(signer.role, names[signer.role], signer.position.th, box)
                for signer, box in zip(spec.signers, boxes, strict=True)
            ]
            arguments: dict[str, Any] = {
                "tenant": tenant,
                "number": NUMBER,
                "issued_on": ISSUED_ON,
                "verify_url": VERIFY_URL,
                "reference": REFERENCE,
                "submitted_on": SUBMITTED_ON,
                "signer_names": names,
            }

            def render() -> bytes:
                return render_document(definition, DOCUMENT, data, **arguments)

            def platform() -> Any:
                pdf = render()
                profile = load_profile(Path(tmp), TENANT, environ)
                return sign_document(pdf, profile, slots, level=level, certify=spec.certify)

            # Warm-up (fonts, imports, the PKI service's first answers) and what the other sides need.
            unsigned = render()
            stats = last_render_stats()
            if stats is None:
                raise BenchError("render_document left no render statistics")
            html, base_url = document_html(definition, DOCUMENT, data, **arguments)
            page_css = _page_css(stats.body_size_pt)
            document_css = str(TEMPLATES_DIR / "document.css")

            def weasyprint() -> bytes:
                fonts = FontConfiguration()
                stylesheets = [
                    CSS(string=page_css, font_config=fonts),
                    CSS(filename=document_css, font_config=fonts),
                ]
                return HTML(string=html, base_url=base_url).write_pdf(
                    stylesheets=stylesheets, font_config=fonts
                )

            profile = load_profile(Path(tmp), TENANT, environ)

            def sign() -> Any:
                return sign_document(unsigned, profile, slots, level=level, certify=spec.certify)

            signed = sign()
            reached = sorted({s.level for s in signed.signatures})
            if reached != [level]:
                notes = "; ".join(s.note for s in signed.signatures if s.note)
                raise BenchError(f"signed {', '.join(reached)} instead of {level}: {notes}")
            report = verify_pdf(signed.data, profile.trust_roots)
            if not report.valid:
                raise BenchError(f"the signed permit verifies as {report.status}, not valid")

            def verify() -> Any:
                return verify_pdf(signed.data, profile.trust_roots)

            baseline_pdf = weasyprint()
            platform()
            echo(
                f"{definition.key} {DOCUMENT}: {len(spec.signers)} signers, PAdES {level}, "
                f"dev PKI at {server.url}; {seconds:.1f}s per side, 5 sides interleaved"
            )
            echo(
                f"render_document settles on {stats.body_size_pt:g} pt after {stats.layouts} layout(s); "
                f"PDF {len(unsigned):,} bytes unsigned, {len(signed.data):,} signed; "
                f"WeasyPrint alone {len(baseline_pdf):,} bytes"
            )
            rates = interleaved(
                {
                    "platform": platform,
                    "weasyprint": weasyprint,
                    "render": render,
                    "sign": sign,
                    "verify": verify,
                },
                seconds,
            )
        finally:
            server.stop()

    value, baseline = rates["platform"], rates["weasyprint"]
    where = {side: round(1 / rates[side], 3) for side in ("render", "sign", "verify")}
    echo(f"platform (render_document + sign_document {level}): {value:.2f} documents/s")
    echo(f"WeasyPrint alone, same HTML and stylesheets:        {baseline:.2f} documents/s")
    echo(
        f"seconds per document: render {where['render']:.3f} (WeasyPrint alone {1 / baseline:.3f}), "
        f"sign {where['sign']:.3f} ({len(spec.signers)} signature(s)), verify {where['verify']:.3f}; "
        f"render + sign {1 / value:.3f}"
    )
    echo(f"ratio {value / baseline:.3f}")
    return result(
        "documents",
        value,
        baseline,
        "documents/s",
        service=definition.key,
        document=DOCUMENT,
        signers=len(spec.signers),
        pades_level=level,
        body_size_pt=stats.body_size_pt,
        layouts=stats.layouts,
        render_per_s=round(rates["render"], 2),
        sign_per_s=round(rates["sign"], 2),
        verify_per_s=round(rates["verify"], 2),
        where_time_goes=where,
    )
