"""Twinning programme: pairing public authorities for peer exchange and mentoring.

The matching itself is the pure library :mod:`matching`; this package holds the app side
(for now the ``events-app match`` command in :mod:`events_app.twinning.cli_match`).
"""
