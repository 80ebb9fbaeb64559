"""Secrets at rest: envelope encryption of sensitive fields and files (ADR 0024).

:mod:`.envelope` is the pure part (formats, AES-256-GCM through the ``cryptography`` package), :mod:`.master` finds
the master key (a key file or an environment setting); :mod:`detente.db.sealed` keeps the wrapped data keys in SQL
and seals columns as they are written.
"""
