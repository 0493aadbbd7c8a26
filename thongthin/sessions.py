"""Flask's session, kept on the server (:mod:`engine.services.sessions`) instead of in a signed cookie.

The cookie holds only a random token: nothing of the session can be read from it, and
deleting the server's row ends the session even for someone who kept a copy of the cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from engine.services import sessions

# Keys whose values tie a session row to an officer (so deactivation can end it).
USER_KEY = "officer_id"
TENANT_KEY = "officer_tenant"
_serializer = TaggedJSONSerializer()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session's data; ``token`` is None until it is first stored."""

    def __init__(
        self, initial: dict[str, Any] | None = None, token: str | None = None, *, touch: bool = False
    ):
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.touch = touch
        self.modified = False
        self.rotate = False

    def regenerate(self) -> None:
        """A new token at the next save (at login and logout: no session fixation)."""
        self.rotate = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.get_cookie_name(app), "")
        if token:
            loaded = app.extensions["thongthin"].db(sessions.load(token))
            if loaded is not None:
                data = _serializer.loads(loaded.data.get("v", "{}")) if loaded.data else {}
                return ServerSession(data, token, touch=loaded.needs_touch)
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        platform = app.extensions["thongthin"]
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        if session.rotate and session.token:
            platform.db(sessions.end(session.token))
            session.token = None
        if not session:
            if session.token:
                platform.db(sessions.end(session.token))
            if session.token or session.rotate or session.modified:
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not session.modified:
            if session.touch and session.token:
                platform.db(sessions.touch(session.token))
            return
        user_id = session.get(USER_KEY)
        tenant_id = session.get(TENANT_KEY)
        token = platform.db(
            sessions.save(
                session.token,
                {"v": _serializer.dumps(dict(session))},
                user_id=user_id if isinstance(user_id, int) else None,
                tenant_id=tenant_id if isinstance(tenant_id, int) else None,
            )
        )
        response.set_cookie(
            name,
            token,
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            domain=domain,
            path=path,
        )
        response.vary.add("Cookie")
