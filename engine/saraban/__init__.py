"""e-Saraban (ระบบสารบรรณอิเล็กทรอนิกส์): official correspondence of a local administration.

Framework-free, like the rest of the engine. The modules, by concern:

- ``vocabulary``: the regulation's terms: kinds of letters, urgency and secrecy classes,
  books, endorsement actions, retention classes, the official register columns;
- ``errors``: what the area raises;
- ``numbering``: the Buddhist-Era calendar year in Bangkok, how numbers print;
- ``settings``: the rules marked unverified in the research, as tenant settings with defaults.

The service calls every entry point uses live in :mod:`engine.services.saraban`.
"""
