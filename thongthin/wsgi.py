"""WSGI entry point: ``thongthin serve`` (or ``gunicorn --config python:thongthin.gunicorn_conf``).

Settings come from the environment (``DATABASE_URL``, ``THONGTHIN_DATA``, ``SECRET_KEY``,
``S3_*``; see :meth:`thongthin.settings.Settings.from_env`). Importing this module builds
the app but starts no thread and opens no connection, so gunicorn's master can preload it:
the ORM loop thread is started in each worker after the fork (``post_fork`` in
``thongthin/gunicorn_conf.py``, or lazily by the worker's first request).
"""

from __future__ import annotations

from flask import Flask

from thongthin.app import create_app

app: Flask = create_app()
