"""Messages in the citizen's words: one Jinja2 template per channel (and one for officers).

E-mails are multipart (text and HTML, Thai first with English below); SMS say only what
fits a phone screen: the municipality, the news, the reference and the link; LINE messages
sit between the two. The outbox (:mod:`engine.services.messages`) calls :func:`compose`.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.services.messages import PAGE, Composed, Composition, Digest
from engine.services.tracking import LINK_LIFETIME
from engine.thaidate import format_date
from engine.workflow.sla import BANGKOK

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "messages"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)
_PREFIXES = ("องค์การบริหารส่วนจังหวัด", "องค์การบริหารส่วนตำบล", "เทศบาลนคร", "เทศบาลเมือง", "เทศบาลตำบล")
_SHORT = {
    "องค์การบริหารส่วนจังหวัด": "อบจ.",
    "องค์การบริหารส่วนตำบล": "อบต.",
    "เทศบาลนคร": "ทน.",
    "เทศบาลเมือง": "ทม.",
    "เทศบาลตำบล": "ทต.",
}


def short_name(name_th: str) -> str:
    """``เทศบาลเมืองแม่เหียะ`` -> ``ทม.แม่เหียะ``: how SMS name a municipality, to stay short."""
    for prefix in _PREFIXES:
        if name_th.startswith(prefix):
            return _SHORT[prefix] + name_th[len(prefix) :]
    return name_th


def _subject(c: Composition) -> str:
    status = f" {c.status_title.th}" if c.status_title else ""
    return f"{c.tenant.name_th}: คำขอเลขที่ {c.reference}{status}"


def compose(composition: Composition) -> Composed:
    """The subject and text (and HTML for e-mail) of one message on one channel."""
    values = {
        **composition.__dict__,
        "link_days": LINK_LIFETIME.days,
        "tenant_short": short_name(composition.tenant.name_th),
        "subject": _subject(composition),
    }
    if composition.purpose == "tracking_link":
        # The message is the link itself (see engine.services.tracking.link_message).
        text = (
            composition.message.th
            if composition.channel != "email"
            else (f"{composition.message.th}\n\n{composition.message.en}")
        )
        return Composed(f"{composition.tenant.name_th}: ลิงก์ติดตามคำขอเลขที่ {composition.reference}", text)
    if composition.purpose == "officer":
        return Composed(_subject(composition), _environment.get_template("officer.txt").render(values))
    if composition.channel == "email":
        return Composed(
            values["subject"],
            _environment.get_template("email.txt").render(values),
            _environment.get_template("email.html").render(values),
        )
    if composition.channel in ("sms", "line"):
        return Composed(
            values["subject"], _environment.get_template(f"{composition.channel}.txt").render(values)
        )
    if composition.channel == PAGE:
        return Composed(values["subject"], composition.message.th)
    raise ValueError(f"no template for channel {composition.channel!r}")


def compose_digest(digest: Digest) -> Composed:
    """An officer's morning summary of overdue and soon-due work, with a link to each."""
    rows = [
        {
            "reference": item.reference,
            "service": digest.service_title(item.service_id),
            "due": format_date(item.due_at.astimezone(BANGKOK).date(), "th") if item.due_at else "",
            "overdue": item.sla.value == "overdue",
            "url": digest.desk_url(item.reference),
        }
        for item in digest.items
    ]
    subject = f"{digest.tenant.name_th}: งานเกินกำหนด {digest.overdue} เรื่อง ใกล้ครบกำหนด {digest.soon} เรื่อง"
    text = _environment.get_template("digest.txt").render(digest=digest, rows=rows)
    return Composed(subject, text)
