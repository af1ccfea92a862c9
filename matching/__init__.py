"""Pure matching library for the twinning programme (no web, no ORM, no I/O).

Filled in by the twinning issue; kept importable so the layout is in place.
"""
