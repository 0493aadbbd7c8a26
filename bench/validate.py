"""Validations per second of the largest catalog form: the engine against raw jsonschema."""
