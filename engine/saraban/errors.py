"""What the correspondence area raises. Every refusal carries its Thai and English text and a stable code."""

from __future__ import annotations

from dataclasses import dataclass

from engine.services.errors import ServiceError


class SarabanError(ServiceError):
    """A correspondence request that cannot be done; nothing was changed."""

    code = "saraban_error"

    def __init__(self, message: str, *, th: str = "", field: str = ""):
        self.message = message
        self.message_th = th or message
        self.field = field
        super().__init__(message)

    def text(self, language: str = "th") -> str:
        """The refusal in ``language`` (``th`` or ``en``)."""
        return self.message if language == "en" else self.message_th


class LetterNotFound(SarabanError):
    """No such letter here, or not one this officer may open (the two are not told apart)."""

    http_status = 404
    code = "letter_not_found"

    def __init__(self, public_id: str):
        self.public_id = public_id
        super().__init__(f"no letter {public_id!r}", th=f"ไม่พบหนังสือ {public_id}")


class UnitNotFound(SarabanError):
    http_status = 404
    code = "unit_not_found"

    def __init__(self, code: str):
        super().__init__(f"no unit {code!r}", th=f"ไม่พบหน่วยงาน {code}", field="unit")


class NotAllowed(SarabanError):
    """The officer lacks the role or the access this needs."""

    http_status = 403
    code = "saraban_forbidden"


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a request, in both languages."""

    field: str
    message: str
    message_th: str

    def text(self, language: str = "th") -> str:
        return self.message if language == "en" else self.message_th

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "message_th": self.message_th}


class InvalidLetter(SarabanError):
    """Fields of the request are missing or wrong: ``problems`` names each (``field`` the first)."""

    http_status = 422
    code = "invalid_letter"

    def __init__(
        self, message: str, *, th: str = "", field: str = "", problems: tuple[FieldProblem, ...] = ()
    ):
        self.problems = problems or (FieldProblem(field, message, th or message),)
        super().__init__(message, th=th, field=field or self.problems[0].field)

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> InvalidLetter:
        first = problems[0]
        return cls(
            "; ".join(f"{p.field}: {p.message}" for p in problems),
            th=" ".join(p.message_th for p in problems),
            field=first.field,
            problems=tuple(problems),
        )


class SecrecyRefused(SarabanError):
    """ลับที่สุด may not travel electronically (ระเบียบฯ ฉบับที่ 4 พ.ศ. 2564; ระเบียบว่าด้วยการรักษาความลับ
    ของทางราชการ พ.ศ. 2544)."""

    http_status = 422
    code = "secrecy_refused"


class StaleLetter(SarabanError):
    """Someone acted on the letter meanwhile, or the step cannot follow where it stands; earlier steps
    never change."""

    http_status = 409
    code = "letter_changed"


class NumberNotReservable(SarabanError):
    http_status = 409
    code = "number_not_reservable"


class RetentionRefused(SarabanError):
    """A destruction step that the rules do not allow (held letter, committee too small, wrong order)."""

    http_status = 409
    code = "retention_refused"


class LetterFileRefused(SarabanError):
    """An uploaded letter that is not a readable PDF or scan, or too large."""

    http_status = 422
    code = "letter_file_refused"
