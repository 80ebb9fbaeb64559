"""The application services: every use case of Détente, exactly once.

A use case takes the application's context (:class:`~detente.services.context.AppContext`) and a caller
(:class:`~detente.services.caller.Caller`), asks :mod:`detente.access` whether it may (through
:mod:`~detente.services.authz`), does all its writes — SQL rows, log entries, the checkpoint signature, the audit
event — in one transaction, and returns a typed result. The web application and the command line are shells over
these modules: they translate input and output and hold no rule (ADR 0016).

Modules: ``processes``, ``notes``, ``accounts``, ``audit``; ``verification`` (writes), ``verification_reads``,
``proofs``, ``ledger``; ``cbm``, ``cbm_plans``, ``cbm_views``; ``actors``; ``events``, ``watchlist``; ``demo``.
"""
