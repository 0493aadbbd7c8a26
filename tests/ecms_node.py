"""A stand-in e-CMS node on loopback, built from the message set of SARABAN.md §2.2.

It keeps one queue per department (``DepartmentOrganization/ID``). Each department pulls from its
own address, ``node.url_for(department_id)``; anything may be posted to any address, since the
node routes by what the document says:

- ``CorrespondenceLetterOutboundRequest/GovernmentDocument`` goes to the ReceiverParty's
  department; ``…/<Notifier>`` goes back to the department of the letter it names (LetterID and
  CorrespondenceDate); both answer ``CorrespondenceLetterOutboundResponse{ProcessID, ProcessTime}``.
  The same ``wsa:MessageID`` again gets the first ProcessID, as a retry should.
- ``CorrespondenceLetterInboundRequest`` answers ``CorrespondenceLetterInboundResponse`` with the
  next item not handed out in the last ``hold_seconds`` (empty when there is none), so an item a
  puller could not store stays on the node without blocking the ones behind it.
- ``CorrespondenceLetterDeleteRequest{ProcessID}`` removes an item.
- Malformed XML, an unknown request, a department the node does not serve → a SOAP Fault (HTTP 500);
  ``down = True`` → 503 without a Fault, as a node under maintenance.

No official e-CMS node behaves exactly like this one: the real queueing rules are not published.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from engine.saraban.exchange import ecms
from engine.saraban.exchange.faults import ExchangeFault

SOAP_NS = ecms.SOAP


@dataclass
class Item:
    process_id: str
    process_time: str
    payload: bytes  # the GovernmentDocument or notifier, as posted
    kind: str
    letter_id: str = ""
    letter_date: str = ""
    sender_department: str = ""
    handed_until: float = 0.0


@dataclass
class EcmsNode:
    """The node; ``start()`` serves it on a free loopback port."""

    departments: set[str] | None = None  # None: any department is served here
    hold_seconds: float = 300.0
    down: bool = False
    queues: dict[str, list[Item]] = field(default_factory=dict)
    carried: list[Item] = field(default_factory=list)  # every letter taken, to route notices back
    by_message_id: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None
    _thread: threading.Thread | None = None

    # --- serving ---

    def start(self) -> EcmsNode:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/ecms-ws01/service2"

    def url_for(self, department_id: str) -> str:
        return f"{self.url}/{department_id}"

    def held_for(self, department_id: str) -> list[Item]:
        with self.lock:
            return list(self.queues.get(department_id, []))

    def put(self, department_id: str, payload: bytes, kind: str = "GovernmentDocument") -> Item:
        """An item waiting for ``department_id``, as if another agency's node had forwarded it."""
        root = ecms.read_xml(payload)
        item = self._item(root, kind)
        with self.lock:
            self.queues.setdefault(department_id, []).append(item)
            if kind == "GovernmentDocument":
                self.carried.append(item)
        return item

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if self.down:
            return Response("e-CMS is under maintenance", status=503, content_type="text/plain")
        if request.method != "POST":
            return Response("POST a SOAP request", status=405, content_type="text/plain")
        department = request.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            root = ecms.read_xml(request.get_data(cache=False))
            body = next((e for e in root.iter(tag=etree.Element) if etree.QName(e).localname == "Body"), None)
            request_element = next(body.iterchildren(tag=etree.Element), None) if body is not None else None
            if request_element is None:
                return self._fault("Validation: no SOAP Body")
            name = etree.QName(request_element).localname
            message_id = _header_id(root)
            if name == ecms.OUTBOUND:
                return self._outbound(request_element, message_id)
            if name == "CorrespondenceLetterInboundRequest":
                return self._inbound(department)
            if name == "CorrespondenceLetterDeleteRequest":
                return self._delete(_text(request_element, "ProcessID"))
            return self._fault(f"Validation: {name} is not served here")
        except ExchangeFault as fault:
            return self._fault(f"{fault.fault}: {fault.message}")

    # --- the messages ---

    def _item(self, payload: etree._Element, kind: str) -> Item:
        letter = _child(payload, "CorrespondenceLetter")
        return Item(
            process_id=str(uuid.uuid4()),
            process_time=datetime.now(UTC).isoformat(timespec="seconds"),
            payload=etree.tostring(payload, xml_declaration=True, encoding="UTF-8"),
            kind=kind,
            letter_id=_text(letter, "ID") if letter is not None else _text(payload, "LetterID"),
            letter_date=(
                _text(letter, "CorrespondenceDate")
                if letter is not None
                else _text(payload, "CorrespondenceDate")
            ),
            sender_department=(
                _text(_child(letter, "SenderParty"), "DepartmentOrganization", "ID")
                if letter is not None
                else ""
            ),
        )

    def _outbound(self, wrapper: etree._Element, message_id: str) -> Response:
        payload = next(wrapper.iterchildren(tag=etree.Element), None)
        if payload is None:
            return self._fault("Validation: an empty CorrespondenceLetterOutboundRequest")
        kind = etree.QName(payload).localname
        with self.lock:
            if message_id and message_id in self.by_message_id:
                return self._outbound_response(self.by_message_id[message_id])
        item = self._item(payload, kind)
        if kind == "GovernmentDocument":
            letter = _child(payload, "CorrespondenceLetter")
            to = _text(_child(letter, "ReceiverParty"), "DepartmentOrganization", "ID")
            if not item.letter_id or not _text(letter, "Subject"):
                return self._fault("Validation: a letter needs its ID and Subject")
        elif kind in ecms.NOTICE_TYPES:
            with self.lock:
                letter_item = next(
                    (
                        i
                        for i in self.carried
                        if (i.letter_id, i.letter_date) == (item.letter_id, item.letter_date)
                    ),
                    None,
                )
            to = letter_item.sender_department if letter_item else ""
        else:
            return self._fault(f"Validation: {kind} cannot be sent outbound")
        if not to or (self.departments is not None and to not in self.departments):
            return self._fault(f"InvalidAddressee: department {to or '-'} is not served by this node")
        with self.lock:
            self.queues.setdefault(to, []).append(item)
            if kind == "GovernmentDocument":
                self.carried.append(item)
            if message_id:
                self.by_message_id[message_id] = item.process_id
        return self._outbound_response(item.process_id)

    def _outbound_response(self, process_id: str) -> Response:
        answer = etree.Element("CorrespondenceLetterOutboundResponse")
        etree.SubElement(answer, "ProcessID").text = process_id
        etree.SubElement(answer, "ProcessTime").text = datetime.now(UTC).isoformat(timespec="seconds")
        return self._soap(answer)

    def _inbound(self, department: str) -> Response:
        answer = etree.Element("CorrespondenceLetterInboundResponse")
        now = time.monotonic()
        with self.lock:
            item = next((i for i in self.queues.get(department, []) if i.handed_until <= now), None)
            if item is not None:
                item.handed_until = now + self.hold_seconds
        if item is not None:
            etree.SubElement(answer, "ProcessID").text = item.process_id
            etree.SubElement(answer, "ProcessTime").text = item.process_time
            answer.append(etree.fromstring(item.payload, ecms.parser()))
        return self._soap(answer)

    def _delete(self, process_id: str) -> Response:
        with self.lock:
            for queue in self.queues.values():
                for item in queue:
                    if item.process_id == process_id:
                        queue.remove(item)
                        answer = etree.Element("CorrespondenceLetterDeleteResponse")
                        etree.SubElement(answer, "ProcessID").text = process_id
                        return self._soap(answer)
        return self._fault(f"Validation: no item {process_id or '-'} on this node")

    def _soap(self, element: etree._Element) -> Response:
        data = ecms.soap(element, message_id=str(uuid.uuid4()))
        return Response(data, status=200, content_type="text/xml; charset=utf-8")

    def _fault(self, text: str) -> Response:
        fault = etree.Element(f"{{{SOAP_NS}}}Fault")
        etree.SubElement(fault, "faultcode").text = "soap:Client"
        etree.SubElement(fault, "faultstring").text = text
        data = ecms.soap(fault, message_id=str(uuid.uuid4()))
        return Response(data, status=500, content_type="text/xml; charset=utf-8")


def _child(parent: etree._Element | None, *path: str) -> etree._Element | None:
    element = parent
    for name in path:
        if element is None:
            return None
        element = next(
            (c for c in element.iterchildren(tag=etree.Element) if etree.QName(c).localname == name), None
        )
    return element


def _text(parent: etree._Element | None, *path: str) -> str:
    element = _child(parent, *path)
    return (element.text or "").strip() if element is not None else ""


def _header_id(root: etree._Element) -> str:
    for element in root.iter(f"{{{ecms.WSA}}}MessageID"):
        return (element.text or "").strip()
    return ""
