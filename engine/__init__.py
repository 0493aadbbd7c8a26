"""Thongthin's engine: service definitions, submission validation and status machines.

The engine is framework-free: it never imports the web layer, and its functions take data
and return data (or raise the typed errors of their area), so the portal, the officer desk,
the JSON API and the command line all drive the same code.
"""
