"""Letters between agencies: the message formats, framework-free and IO-free.

- ``envelope``: the ``th-saraban/1.0`` JSON envelope (pydantic models, ``parse``, ``canonical``);
- ``faults``: what a receiving node answers when it refuses a message;
- ``jws``: the detached JWS over the raw body (``X-Saraban-Signature``);
- ``ecms``: the mapping to and from the TH e-GIF ``rsm:GovernmentDocument`` XML of e-CMS.

Transports (HTTP, the in-process one between two tenants, e-CMS polling, e-mail) build on these.
"""
