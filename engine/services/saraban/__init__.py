"""The correspondence area's service calls (see :mod:`engine.saraban` for its vocabulary and rules).

``organisation`` (units, members, who acts), ``numbers`` (books, reservations), ``letters``
(receive, draft, route, sign, open, close), ``registers`` (the books as rows), ``audit`` (the
hash-chained trail), ``search``.
"""
