"""The root of every error the engine raises; each area derives its own small hierarchy."""


class ThongthinError(Exception):
    """Base class of the engine's errors."""
