"""Validating submitted form data: JSON Schema 2020-12 with Thai formats, citizen-friendly errors."""

from engine.forms.errors import FieldError
from engine.forms.validation import CompiledForm, compile_form, compile_schema, validate_submission

__all__ = ["CompiledForm", "FieldError", "compile_form", "compile_schema", "validate_submission"]
