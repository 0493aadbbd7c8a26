"""The letters of the six kinds, laid out as the regulation's forms (แบบที่ 1–11) on A4.

Four layouts cover the twelve kinds: the letterhead (หนังสือภายนอก, หนังสือประทับตรา,
หนังสือรับรอง), the memorandum (บันทึกข้อความ), and the centred title of the directives,
announcements and records. The ที่ line and, on letterheads and memoranda, the date have
fixed places on page 1, so that a draft's empty boxes are where the signing step stamps the
number and date; the signature follows the body, wherever WeasyPrint put it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from engine.saraban.vocabulary import CLASSIFIED, KINDS, SECRECIES, URGENCIES
from engine.thaidate import MONTHS_LONG, buddhist_year, format_date
from renderers.documents import qr_svg
from renderers.saraban.errors import InvalidSarabanInput, LayoutOverflow
from renderers.saraban.model import LetterDocument, Placement, RenderedLetter
from renderers.saraban.pdf import (
    Found,
    check_count,
    check_logo,
    check_size,
    css_string,
    digits,
    find,
    layout,
    page_html,
)

LETTERHEAD_KINDS = frozenset({"external", "stamped", "certificate"})
# The kinds whose form prints no number (the register still numbers some of them).
UNNUMBERED_KINDS = frozenset({"regulation", "bylaw", "announcement", "minutes", "record"})
# These end with the agency's name and the date instead of a signature (แบบที่ 3, 9, 10).
SEALED_KINDS = frozenset({"stamped", "statement", "news"})

# Limits far above any real letter: a longer input is a mistake or an attack, not a letter.
MAX_LINE_CHARS = 500
MAX_PARAGRAPH_CHARS = 10_000
MAX_PARAGRAPHS = 300
MAX_BODY_CHARS = 60_000
MAX_LIST_ITEMS = 30


@dataclass(frozen=True)
class Rect:
    """A fixed place on page 1, in millimetres from the top-left of the content area."""

    left: float
    top: float
    width: float
    height: float

    @property
    def style(self) -> str:
        return f"left: {self.left}mm; top: {self.top}mm; width: {self.width}mm; height: {self.height}mm"


# The places of the ที่ line's empty box and of the date, per layout (content area: 160 × 257 mm).
LETTERHEAD_NUMBER = Rect(44.0, 33.0, 42.0, 8.0)
LETTERHEAD_AGENCY_LEFT_MM = 88.0
EXTERNAL_DATE = Rect(75.0, 62.0, 70.0, 8.0)  # the date begins at the page's centre line
MEMO_NUMBER = Rect(40.0, 33.0, 38.0, 8.0)
MEMO_DATE_LABEL_LEFT_MM = 80.0
MEMO_DATE = Rect(94.0, 33.0, 64.0, 8.0)
TITLED_NUMBER = Rect(61.0, 48.0, 40.0, 8.0)
MEMO_URGENT_SHIFT_MM = 17.0


def _shifted(rect: Rect, down_mm: float) -> Rect:
    return Rect(rect.left, rect.top + down_mm, rect.width, rect.height)


def _thai_date(day: date, thai_numerals: bool, era_word: bool = False) -> str:
    """``15 มกราคม 2569``; with ``era_word`` ``15 มกราคม พ.ศ. 2569`` as orders and announcements write it."""
    if era_word:
        text = f"{day.day} {MONTHS_LONG[day.month - 1]} พ.ศ. {buddhist_year(day)}"
        return digits(text, thai_numerals)
    return format_date(day, thai_numerals=thai_numerals)


def deadline_text(due_at: datetime, thai_numerals: bool) -> str:
    """``ด่วนภายใน 20 มกราคม 2569 เวลา 14.30 น.``"""
    clock = f"{due_at.hour:02d}.{due_at.minute:02d}"
    return f"ด่วนภายใน {_thai_date(due_at.date(), thai_numerals)} เวลา {digits(clock, thai_numerals)} น."


def _validate(letter: LetterDocument) -> None:
    if letter.kind not in KINDS:
        raise InvalidSarabanInput(f"unknown kind of letter {letter.kind!r} (known: {', '.join(KINDS)})")
    if letter.urgency not in URGENCIES:
        raise InvalidSarabanInput(f"unknown urgency {letter.urgency!r}")
    if letter.secrecy not in SECRECIES:
        raise InvalidSarabanInput(f"unknown secrecy {letter.secrecy!r}")
    for name in ("agency_name", "unit_name", "letter_code", "subject", "recipient", "salutation", "closing"):
        check_size(name, getattr(letter, name), MAX_LINE_CHARS)
    for name in ("agency_address", "signer_name", "signer_position", "number"):
        check_size(name, getattr(letter, name) or "", MAX_LINE_CHARS)
    check_count("paragraphs", letter.body, MAX_PARAGRAPHS)
    for paragraph in letter.body:
        check_size("a paragraph", paragraph, MAX_PARAGRAPH_CHARS)
    check_size("the body", "".join(letter.body), MAX_BODY_CHARS)
    for name in ("references", "enclosures", "contact"):
        items = getattr(letter, name)
        check_count(name, items, MAX_LIST_ITEMS)
        for item in items:
            check_size(f"an item of {name}", item, MAX_LINE_CHARS)
    check_size("verify_url", letter.verify_url or "", 2000)
    check_logo(letter.logo)
    if not letter.subject.strip() and letter.kind not in ("certificate",):
        raise InvalidSarabanInput("a letter needs a subject (เรื่อง)")


def _layout_of(kind: str) -> str:
    if kind in LETTERHEAD_KINDS:
        return "letterhead"
    return "internal" if kind == "internal" else "titled"


def _heading(letter: LetterDocument) -> tuple[list[str], str, bool]:
    """The centred title lines, the label before the subject, and whether the subject is centred."""
    kind, agency = letter.kind, letter.agency_name
    if kind in ("order", "announcement", "statement", "news"):
        word = {"order": "คำสั่ง", "announcement": "ประกาศ", "statement": "แถลงการณ์", "news": "ข่าว"}[kind]
        return [word + agency], "เรื่อง ", True
    if kind in ("regulation", "bylaw"):
        word = "ระเบียบ" if kind == "regulation" else "ข้อบังคับ"
        return [word + agency], "ว่าด้วย", True
    if kind == "certificate":
        return ["หนังสือรับรอง"], "", False
    if kind == "minutes":
        return ["รายงานการประชุม"], "", True
    if kind == "record":
        return ["บันทึก"], "เรื่อง ", True
    return [], "เรื่อง", False


def _date_label(kind: str) -> str:
    return {
        "order": "สั่ง ณ วันที่",
        "regulation": "ประกาศ ณ วันที่",
        "bylaw": "ประกาศ ณ วันที่",
        "announcement": "ประกาศ ณ วันที่",
        "certificate": "ให้ไว้ ณ วันที่",
    }.get(kind, "วันที่")


def _number_text(letter: LetterDocument) -> str:
    """The running part as printed: a circular's ว in front; an order's ``/year`` after."""
    number = (letter.number or "").strip()
    if not number:
        return ""
    if letter.circular and not number.startswith("ว"):
        number = f"ว {number}"
    if letter.kind == "order" and "/" not in number and letter.letter_date is not None:
        number = f"{number}/{buddhist_year(letter.letter_date)}"
    return number


def _contact_line(line: str, thai_numerals: bool) -> str:
    """A contact line with Thai digits, except in e-mail addresses and links, which must stay usable."""
    return " ".join(
        word if "@" in word or "://" in word else digits(word, thai_numerals) for word in line.split(" ")
    )


def _view(letter: LetterDocument) -> dict[str, Any]:
    """What the template prints: every text already in the letter's digits, nothing escaped yet."""
    n = letter.thai_numerals

    def t(text: str) -> str:
        return digits(text, n)

    kind_layout = _layout_of(letter.kind)
    heading, subject_label, subject_centred = _heading(letter)
    era_word = kind_layout == "titled"
    date_text = _thai_date(letter.letter_date, n, era_word) if letter.letter_date else ""
    urgency = URGENCIES[letter.urgency].th if letter.urgency != "normal" else ""
    view: dict[str, Any] = {
        "title": letter.subject or KINDS[letter.kind].th,
        "layout": kind_layout,
        "kind": letter.kind,
        "logo": letter.logo,
        "urgency": urgency,
        "due": deadline_text(letter.due_at, n) if urgency and letter.due_at else "",
        "agency_name": t(letter.agency_name),
        "heading": [t(line) for line in heading],
        "heading_style": "top: 33mm" if letter.kind != "certificate" else "top: 43mm",
        "number_prefix": None,
        "number_label": "ที่",
        "number_label_bold": kind_layout == "internal",
        "number": t(_number_text(letter)),
        "agency_lines": [],
        "date": date_text,
        "date_fixed": letter.kind in ("external", "internal"),
        "date_label": "" if letter.kind == "external" else _date_label(letter.kind),
        "date_label_style": "",
        "subject": t(letter.subject) if letter.kind != "certificate" else "",
        "subject_label": subject_label,
        "subject_centred": subject_centred,
        "salutation": "ถึง" if letter.kind == "stamped" else letter.salutation,
        "recipient": t(letter.recipient) if letter.kind in ("external", "internal", "stamped") else "",
        "references": [t(r) for r in letter.references] if letter.kind == "external" else [],
        "enclosures": [t(e) for e in letter.enclosures] if letter.kind in ("external", "stamped") else [],
        "body": [t(p) for p in letter.body],
        "closing": letter.closing if letter.kind == "external" else "",
        "seal": letter.kind in SEALED_KINDS,
        "seal_caption": "ตราชื่อส่วนราชการ และลงชื่อย่อกำกับตรา" if letter.kind == "stamped" else "",
        "signer_name": t(letter.signer_name),
        "signer_position": [t(line) for line in letter.signer_position.splitlines() if line.strip()],
        "contact": [],
        "verify_url": letter.verify_url or "",
        "verify_qr": Markup(qr_svg(letter.verify_url)) if letter.verify_url else "",
        "flow_top": "0mm",
    }
    prefix = t(f"{letter.letter_code}/") if letter.letter_code else ""
    if kind_layout == "letterhead":
        view["number_prefix"] = prefix
        view["number_prefix_style"] = f"left: 0; top: {LETTERHEAD_NUMBER.top}mm"
        view["number_box_style"] = LETTERHEAD_NUMBER.style
        if letter.kind == "external":
            view["agency_lines"] = [
                t(line) for line in [letter.agency_name, *letter.agency_address.splitlines()] if line.strip()
            ]
            view["agency_style"] = f"left: {LETTERHEAD_AGENCY_LEFT_MM}mm; top: {LETTERHEAD_NUMBER.top}mm"
            view["date_box_style"] = EXTERNAL_DATE.style
            view["flow_top"] = f"{EXTERNAL_DATE.top + EXTERNAL_DATE.height + 2}mm"
        else:
            view["flow_top"] = "55mm" if letter.kind == "certificate" else f"{LETTERHEAD_NUMBER.top + 11}mm"
    elif kind_layout == "internal":
        # ด่วน sits top-left, where the memo's emblem and title are: an urgent memo starts lower.
        shift = MEMO_URGENT_SHIFT_MM if urgency else 0.0
        number_rect, date_rect = _shifted(MEMO_NUMBER, shift), _shifted(MEMO_DATE, shift)
        unit = " ".join(part for part in (letter.agency_name, letter.unit_name) if part)
        phones = [line for line in letter.contact if line.strip()]
        view["memo_top_style"] = f"top: {shift + 1}mm"
        view["unit_line"] = _contact_line(" ".join([unit, *phones]), n)
        view["unit_line_style"] = f"left: 0; top: {shift + 18}mm; width: 160mm"
        view["number_prefix"] = prefix
        view["number_prefix_style"] = f"left: 0; top: {number_rect.top}mm"
        view["number_box_style"] = number_rect.style
        view["date_label_style"] = f"left: {MEMO_DATE_LABEL_LEFT_MM}mm; top: {date_rect.top}mm"
        view["date_box_style"] = date_rect.style
        view["flow_top"] = f"{date_rect.top + date_rect.height + 2}mm"
    else:
        if letter.kind not in UNNUMBERED_KINDS:
            view["number_label"] = "ฉบับที่" if letter.kind in ("statement", "news") else "ที่"
            view["number_prefix"] = ""
            view["number_prefix_style"] = (
                f"left: 0; top: {TITLED_NUMBER.top}mm; width: {TITLED_NUMBER.left - 1}mm; text-align: right"
            )
            view["number_box_style"] = TITLED_NUMBER.style
            view["flow_top"] = f"{TITLED_NUMBER.top + TITLED_NUMBER.height + 1}mm"
        else:
            view["flow_top"] = f"{TITLED_NUMBER.top}mm"
    if kind_layout != "internal":
        owner = [letter.unit_name] if letter.unit_name.strip() else []
        view["contact"] = [_contact_line(line, n) for line in [*owner, *letter.contact] if line.strip()]
    return view


def _margin_css(letter: LetterDocument) -> str:
    """Secrecy at the top and bottom centre of every page; from page 2 the page number, as official letters number them."""
    rules = []
    if letter.secrecy in CLASSIFIED:
        mark = css_string(SECRECIES[letter.secrecy].th)
        # The margin boxes centre on the text, which is 5 mm right of the page's centre (3 cm
        # left margin, 2 cm right): the padding moves the mark back to the page's centre.
        style = (
            "color: #c00000; font-weight: 700; font-size: 20pt; font-family: Sarabun; padding-right: 10mm;"
        )
        rules.append(
            f"@page {{ @top-center {{ content: {mark}; {style} }} @bottom-center {{ content: {mark}; {style} }} }}"
        )
    counter = "counter(page, thai)" if letter.thai_numerals else "counter(page)"
    position = "top-right" if letter.secrecy in CLASSIFIED else "top-center"
    rules.append(
        f'@page :not(:first) {{ @{position} {{ content: "- " {counter} " -"; font-family: Sarabun; font-size: 14pt; }} }}'
    )
    return "\n".join(rules)


def letter_html(letter: LetterDocument) -> tuple[str, str]:
    """The letter's HTML and the page CSS that goes with it (margin marks), before layout.

    Raises :class:`InvalidSarabanInput` (or its :class:`InputTooLarge`) for a letter the forms cannot print.
    """
    _validate(letter)
    return page_html("letter.html.j2", {"v": _view(letter)}), _margin_css(letter)


def _check_fixed_parts(document: Any, letter: LetterDocument) -> None:
    """The parts with fixed places must fit them: a long code or address must not run under a box."""

    def ensure(ok: bool, what: str) -> None:
        if not ok:
            raise LayoutOverflow(what)

    pieces: dict[str, Found] = {}
    for element_id in (
        "urgency",
        "number-prefix",
        "number-box",
        "agency-block",
        "date-box",
        "unit-line",
        "heading",
    ):
        try:
            pieces[element_id] = find(document, element_id)
        except LookupError:
            continue
    number_box = pieces.get("number-box")
    prefix = pieces.get("number-prefix")
    if number_box and prefix and letter.letter_code:
        ensure(prefix.right <= number_box.left + 0.5, "the letter code is too long for the ที่ line")
    urgency = pieces.get("urgency")
    if urgency and number_box:
        ensure(urgency.bottom <= number_box.top + 0.5, "the urgency and its deadline run into the ที่ line")
    agency = pieces.get("agency-block")
    date_box = pieces.get("date-box")
    if agency and date_box and letter.kind == "external":
        ensure(
            agency.bottom <= date_box.top + 0.5,
            "the agency's address takes more lines than the letterhead has",
        )
    unit = pieces.get("unit-line")
    if unit and number_box:
        ensure(unit.bottom <= number_box.top + 0.5, "the ส่วนราชการ line takes more than two lines")
    heading = pieces.get("heading")
    if heading and number_box and _layout_of(letter.kind) == "titled":
        ensure(heading.bottom <= number_box.top + 0.5, "the title takes more than two lines")


def render_letter(letter: LetterDocument) -> RenderedLetter:
    """The letter as PDF, with the empty boxes of its number, date and signature.

    Raises :class:`InvalidSarabanInput` (unknown kind, urgency or secrecy, a bad emblem),
    :class:`InputTooLarge` (absurdly long text) and :class:`LayoutOverflow` (a letter code,
    address or title too long for its fixed place on page 1).
    """
    html, page_css = letter_html(letter)
    document = layout(html, page_css)
    _check_fixed_parts(document, letter)
    number_box: Placement | None = None
    if letter.kind not in UNNUMBERED_KINDS:
        number_box = find(document, "number-box").placement()
    return RenderedLetter(
        pdf=document.write_pdf(),
        number_box=number_box,
        date_box=find(document, "date-box").placement(),
        signature_box=find(document, "signature-box").placement(),
        pages=len(document.pages),
    )
