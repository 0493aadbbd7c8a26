"""Every error of the engine answers with the status its class (or the nearest ancestor) declares."""

from __future__ import annotations

import importlib
import pkgutil

import engine
from engine.errors import ThongthinError, http_status
from engine.services.errors import NotFound, ServiceError, SubmissionNotFound, TenantNotFound


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


def test_the_nearest_declared_status_wins():
    assert http_status(TenantNotFound("nowhere")) == 404
    assert http_status(SubmissionNotFound("MH-2569-000001")) == 404

    class ShopClosed(NotFound):
        pass

    class PaymentRefused(ServiceError):
        http_status = 402

    assert http_status(ShopClosed()) == 404
    assert http_status(PaymentRefused()) == 402
    assert http_status(ValueError()) == 500


def test_every_error_a_caller_causes_answers_4xx():
    for module in pkgutil.walk_packages(engine.__path__, "engine."):
        importlib.import_module(module.name)
    importlib.import_module("engine.services.studio")  # its errors

    for cls in all_subclasses(ServiceError):
        status = http_status(cls.__new__(cls))
        assert 400 <= status < 500, (cls, status)
    assert http_status(ThongthinError()) == 500
