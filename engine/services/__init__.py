"""The service layer: use cases over the store, each one a transaction, scoped to one tenant.

Entry points (portal, officer desk, API, CLI) call these functions and render their
results; they never touch the models' querysets themselves.
"""
