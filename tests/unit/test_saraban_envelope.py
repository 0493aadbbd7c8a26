"""The th-saraban/1.0 envelope and its detached JWS: pure, no IO."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from engine.saraban.exchange import jws
from engine.saraban.exchange.envelope import (
    MAX_DOCUMENTS,
    PROTOCOL,
    Agency,
    Document,
    Envelope,
    Letter,
    Party,
    Reference,
    be_date,
    be_text,
    canonical,
    parse,
)
from engine.saraban.exchange.faults import (
    BadSignature,
    InvalidAddressee,
    SecrecyNotAllowed,
    SizeLimitExceeded,
    UnsupportedVersion,
    Validation,
)

ICT = timezone(timedelta(hours=7))


def letter_envelope(**letter: object) -> Envelope:
    fields: dict[str, object] = {
        "number": "ชม 52101/123",
        "date": "2569-08-27",
        "subject": 'ขอเชิญประชุม & <ด่วน> "วาระพิเศษ"',
        "salutation": "นายอำเภอแม่ริม",
        "references": [Reference(number="ชม 0017/45", date="2569-08-01", subject="แจ้งกำหนดการ")],
        "enclosures": "สำเนาคำสั่ง 1 ฉบับ",
        "speed_code": "003",
        "sender_party": Party(name="นายสมชาย ใจดี", position="ปลัดเทศบาล"),
        "signer": Party(name="นางสาวสมหญิง รักดี", position="นายกเทศมนตรี"),
    }
    fields.update(letter)
    return Envelope(
        protocol=PROTOCOL,
        message_id=str(uuid.uuid4()),
        type="Letter",
        created_at=datetime(2026, 8, 27, 10, 15, tzinfo=ICT),
        sender=Agency(agency_code="ชม 52101", ministry_id="01", department_id="52101", tenant="maehia"),
        recipient=Agency(agency_code="ชม 0017", department_id="0017"),
        letter=Letter.model_validate(fields),
        documents=[
            Document.of("main", "letter.pdf", "application/pdf", b"%PDF-1.7 main"),
            Document.of("enclosure", "order.pdf", "application/pdf", b"%PDF-1.7 enclosure"),
        ],
    )


def tamper(raw: bytes, change: object) -> bytes:
    data = json.loads(raw)
    change(data)  # type: ignore[operator]
    return json.dumps(data, ensure_ascii=False).encode()


def test_round_trip_through_canonical_bytes() -> None:
    envelope = letter_envelope()
    raw = canonical(envelope)
    assert parse(raw) == envelope
    assert canonical(parse(raw)) == raw
    assert (
        raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    text = raw.decode("utf-8")
    assert '"date":"2569-08-27"' in text and '"protocol":"th-saraban/1.0"' in text
    assert list(json.loads(raw)) == sorted(json.loads(raw))


def test_a_notice_round_trips() -> None:
    letter = letter_envelope()
    notice = Envelope(
        protocol=PROTOCOL,
        message_id=str(uuid.uuid4()),
        type="AcceptNotice",
        in_reply_to=letter.message_id,
        created_at=datetime(2026, 8, 28, 9, 0, tzinfo=ICT),
        sender=letter.recipient,
        recipient=letter.sender,
        letter=Letter(number="ชม 52101/123", date=date(2026, 8, 27), subject="ขอเชิญประชุม"),
        accept_id="1523",
        accept_date="2569-08-28",
        acceptor=Party(name="นายรับ หนังสือ", position="เจ้าพนักงานธุรการ"),
    )
    assert parse(canonical(notice)) == notice
    with pytest.raises(Validation):  # an AcceptNotice without its number
        parse(tamper(canonical(notice), lambda d: d.update(accept_id=None)))
    with pytest.raises(Validation):  # a notice carries no documents
        parse(
            tamper(
                canonical(notice), lambda d: d.update(documents=letter.model_dump(mode="json")["documents"])
            )
        )


def test_buddhist_era_dates_at_year_boundaries() -> None:
    assert be_date("2569-01-01") == date(2026, 1, 1)
    assert be_date("2568-12-31") == date(2025, 12, 31)
    assert be_text(date(2025, 12, 31)) == "2568-12-31"
    assert be_text(date(2026, 1, 1)) == "2569-01-01"
    assert be_date("2567-02-29") == date(2024, 2, 29)
    for wrong in ("2026-08-27", "2569-02-29", "2569-8-27", "๒๕๖๙-๐๘-๒๗"):
        with pytest.raises(ValueError):
            be_date(wrong)


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        (lambda d: d.update(protocol="th-saraban/2.0"), UnsupportedVersion),
        (lambda d: d.update(protocol="th-saraban/1.1"), UnsupportedVersion),
        (lambda d: d.update(protocol="saraban"), Validation),
        (lambda d: d.pop("protocol"), Validation),
        (lambda d: d.update(message_id="not-a-uuid"), Validation),
        (lambda d: d.update(type="Telegram"), Validation),
        (lambda d: d.update(created_at="2026-08-27T10:15:00"), Validation),  # naive
        (lambda d: d["letter"].update(date="2026-08-27"), Validation),  # Gregorian year
        (lambda d: d["letter"].update(secret_code="005"), Validation),
        (lambda d: d["letter"].update(subject="x" * 501), Validation),
        (lambda d: d["letter"].update(subject="bell\x07"), Validation),
        (lambda d: d.update(extra="field"), Validation),
        (lambda d: d["documents"][0].update(filename="../etc/passwd"), Validation),
        (lambda d: d["documents"][0].update(size="13"), Validation),
        (lambda d: d["documents"][1].update(role="main"), Validation),
        (lambda d: d.update(documents=[]), Validation),
    ],
)
def test_refusals(change: object, fault: type[Exception]) -> None:
    with pytest.raises(fault):
        parse(tamper(canonical(letter_envelope()), change))


def test_unsupported_version_before_shape() -> None:
    with pytest.raises(UnsupportedVersion) as caught:
        parse(json.dumps({"protocol": "th-saraban/2.0", "whatever": 1}).encode())
    assert caught.value.fault == "UnsupportedVersion"
    assert json.loads(caught.value.as_json())["fault"] == "UnsupportedVersion"


def test_not_json_repeated_keys_and_constants() -> None:
    raw = canonical(letter_envelope())
    for bad in (
        b"\xff" + raw,
        raw[:-1],
        b"[]",
        raw.replace(b'{"accept_date"', b'{"type":"Letter","accept_date"', 1),
    ):
        with pytest.raises(Validation):
            parse(bad)
    with pytest.raises(Validation):
        parse(b'{"protocol": "th-saraban/1.0", "n": NaN}')


def test_document_digest_and_size_are_checked() -> None:
    raw = canonical(letter_envelope())
    with pytest.raises(Validation) as caught:
        parse(tamper(raw, lambda d: d["documents"][0].update(sha256="0" * 64)))
    assert caught.value.field.startswith("documents")
    with pytest.raises(Validation):
        parse(tamper(raw, lambda d: d["documents"][0].update(size=12)))
    with pytest.raises(Validation):
        parse(tamper(raw, lambda d: d["documents"][0].update(content_b64="!!!!")))


def test_size_and_count_bounds() -> None:
    envelope = letter_envelope()
    raw = canonical(envelope)
    with pytest.raises(SizeLimitExceeded):
        parse(raw, max_bytes=20)  # the two documents decode to 31 bytes
    assert parse(raw, max_bytes=31) == envelope
    many = [
        Document.of("enclosure", f"e{i}.pdf", "application/pdf", b"x").model_dump()
        for i in range(MAX_DOCUMENTS)
    ]
    with pytest.raises(SizeLimitExceeded):
        parse(tamper(raw, lambda d: d["documents"].extend(many)))
    with pytest.raises(SizeLimitExceeded):  # a body far beyond what its documents could need
        parse(raw + b" " * (2 * 1024 * 1024), max_bytes=1000)
    with pytest.raises(SizeLimitExceeded):
        canonical(envelope, max_bytes=10)


def test_top_secret_may_not_travel() -> None:
    with pytest.raises(SecrecyNotAllowed) as caught:
        canonical(letter_envelope(secret_code="004"))
    assert "ฉบับที่ 4" in caught.value.text("th") and "2564" in caught.value.text("th")
    assert "ลับที่สุด" in caught.value.text("th")
    raw = tamper(canonical(letter_envelope()), lambda d: d["letter"].update(secret_code="004"))
    with pytest.raises(SecrecyNotAllowed) as caught:
        parse(raw)
    answer = json.loads(caught.value.as_json())
    assert answer["fault"] == "SecrecyNotAllowed" and "ระเบียบ" in answer["detail_th"]
    assert canonical(letter_envelope(secret_code="003"))  # ลับมาก travels (a tenant setting may refuse it)


def test_addressee_is_checked() -> None:
    raw = canonical(letter_envelope())
    assert parse(raw, recipients={"ชม 0017"}).recipient.agency_code == "ชม 0017"
    with pytest.raises(InvalidAddressee):
        parse(raw, recipients={"ชม 52101"})


# --- the detached JWS ---


def ec_key() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def test_sign_and_verify_detached() -> None:
    private, public = ec_key()
    body = canonical(letter_envelope())
    token = jws.sign(body, private, "a1")
    header, payload, signature = token.split(".")
    assert payload == "" and header and signature
    assert jws._header(token) == {"alg": "ES256", "kid": "a1"}
    assert jws.verify(body, token, {"a1": public}) == "a1"


def test_a_changed_byte_fails() -> None:
    private, public = ec_key()
    body = canonical(letter_envelope())
    token = jws.sign(body, private, "a1")
    changed = bytearray(body)
    changed[len(changed) // 2] ^= 0x01
    with pytest.raises(BadSignature):
        jws.verify(bytes(changed), token, {"a1": public})


def test_wrong_key_and_unknown_kid() -> None:
    private, _ = ec_key()
    _, other = ec_key()
    body = b'{"x":1}'
    token = jws.sign(body, private, "a1")
    with pytest.raises(BadSignature):
        jws.verify(body, token, {"a1": other})
    with pytest.raises(BadSignature):
        jws.verify(body, token, {"b2": other})


def test_alg_none_and_embedded_keys_are_refused() -> None:
    import base64

    def segment(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    _, public = ec_key()
    body = b'{"x":1}'
    for header in ({"alg": "none", "kid": "a1"}, {"alg": "HS256", "kid": "a1"}):
        with pytest.raises(BadSignature):
            jws.verify(body, segment(header) + "..", {"a1": public})
        with pytest.raises(BadSignature):
            jws.verify(body, segment(header) + "..c2ln", {"a1": public})
    with pytest.raises(BadSignature):
        jws.verify(body, segment({"alg": "ES256", "kid": "a1", "jwk": {}}) + "..c2ln", {"a1": public})
    with pytest.raises(BadSignature):  # not detached
        jws.verify(body, segment({"alg": "ES256", "kid": "a1"}) + ".eyJ4IjoxfQ.c2ln", {"a1": public})
    with pytest.raises(BadSignature):
        jws.verify(body, "", {"a1": public})


def test_rsa_signs_rs256_and_an_ec_key_cannot_pose_as_rsa() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = jws.sign(b"body", private, "r1")
    assert jws.verify(b"body", token, {"r1": public}) == "r1"
    _, ec_public = ec_key()
    with pytest.raises(BadSignature):
        jws.verify(b"body", token, {"r1": ec_public})


def test_fingerprint_is_the_certificate_sha256() -> None:
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "เทศบาลเมืองแม่เหียะ")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    kid = jws.fingerprint(pem)
    assert kid == jws.fingerprint(der) == hashlib.sha256(der).hexdigest()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = jws.sign(b"body", private, kid)
    assert jws.verify(b"body", token, {kid: pem}) == kid  # a certificate on file works as the key
