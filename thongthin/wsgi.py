"""WSGI entry point for gunicorn: ``gunicorn thongthin.wsgi:app``.

The ORM loop thread is started lazily by the first request of each worker, so it always
belongs to the worker process (never to the master that forked it).
"""

from thongthin.app import create_app

app = create_app()
