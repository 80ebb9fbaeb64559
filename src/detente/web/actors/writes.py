"""What the actor pages and their API change: stakeholder profiles (per label), registry decisions, exports.

Each operation asks ``policy`` (hence :func:`detente.access.decide`) first, then calls the actors service;
registry decisions and exports are written to the audit trail in the same transaction.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from detente import access
from detente.access import Action, Label
from detente.actors import Attitude, Decision, Evidenced, Leverage, Position, StakeholderProfile
from detente.actors.export import network_graph, write_csv, write_graphml
from detente.db.audit import record_audit
from detente.db.users import get_user_by_username
from detente.errors import InputError
from detente.web.actors.books import book_id
from detente.web.actors.policy import may_curate, require, require_record
from detente.web.actors.scope import NetFilter, Scope
from detente.web.actors.views import measure
from detente.web.errors import Forbidden
from detente.web.security import WebContext

__all__ = ["ENTRY_KINDS", "EntryInput", "ProfileInput", "add_entry", "export_network", "record_decision", "set_profile"]

ENTRY_KINDS = ("interest", "position", "leverage", "contribution")


@dataclasses.dataclass(frozen=True)
class ProfileInput:
    label: str
    attitude: str
    attitude_evidence: str
    attitude_date: date
    power: float | None = None
    interest: float | None = None


@dataclasses.dataclass(frozen=True)
class EntryInput:
    label: str
    kind: str
    text: str
    evidence: str
    date: date
    issue: str = ""
    over: tuple[str, ...] = ()


def _label(scope: Scope, text: str) -> str:
    label = str(Label.parse(text))
    if label not in scope.labels:
        raise InputError("no such visibility label in this process", field="label")
    return label


def _owner(ctx: WebContext, username: str) -> int | None:
    if not username:
        return None
    with ctx.db.transaction() as s:
        user = get_user_by_username(s, username)
        return user.id if user is not None else None


def _existing(scope: Scope, label: str, actor_id: str) -> StakeholderProfile | None:
    return scope.svc.book(book_id(scope.process_id, label), [label]).profiles.get(actor_id)


def set_profile(ctx: WebContext, scope: Scope, actor_id: str, data: ProfileInput) -> dict[str, Any]:
    """Create the profile of ``actor_id`` under ``data.label``, or update it (its author, or an editor)."""
    label = _label(scope, data.label)
    p = scope.principal
    # decide before looking: a label one may not read answers "not found" whether a profile exists or not
    require_record(p, scope.process_id, Action.READ, label)
    old = _existing(scope, label, actor_id)
    if old is None:
        require_record(p, scope.process_id, Action.CREATE, label, owner_id=p.user_id)
    else:
        require_record(p, scope.process_id, Action.UPDATE, label, owner_id=_owner(ctx, old.updated_by))
    try:
        attitude = Attitude(data.attitude)
    except ValueError:
        raise InputError(f"unknown attitude {data.attitude!r}", field="attitude") from None
    fields: dict[str, Any] = {
        "attitude": attitude,
        "attitude_evidence": data.attitude_evidence.strip(),
        "attitude_date": data.attitude_date,
        "power": data.power,
        "interest": data.interest,
        "updated_by": p.username,
    }
    if old is None:
        profile = StakeholderProfile(actor_id=actor_id, label=label, **fields)
    else:
        profile = dataclasses.replace(old, **fields)
    scope.svc.save_profile(book_id(scope.process_id, label), profile)
    return {"actor_id": actor_id, "label": label, "attitude": attitude.value}


def add_entry(ctx: WebContext, scope: Scope, actor_id: str, data: EntryInput) -> dict[str, Any]:
    """Add an interest, a position, a leverage or the potential contribution (with evidence and date)."""
    label = _label(scope, data.label)
    p = scope.principal
    require_record(p, scope.process_id, Action.READ, label)
    old = _existing(scope, label, actor_id)
    if old is None:
        raise InputError("give the actor's attitude under this label first", field="label")
    require_record(p, scope.process_id, Action.UPDATE, label, owner_id=_owner(ctx, old.updated_by))
    text, evidence = data.text.strip(), data.evidence.strip()
    if data.kind == "interest":
        profile = dataclasses.replace(old, interests=(*old.interests, Evidenced(text, evidence, data.date)))
    elif data.kind == "position":
        position = Position(data.issue.strip(), text, evidence, data.date)
        profile = dataclasses.replace(old, positions=(*old.positions, position))
    elif data.kind == "leverage":
        reg = scope.svc.registry()
        over = tuple(reg.resolve(ref.strip()).id for ref in data.over if ref.strip())
        profile = dataclasses.replace(old, leverage=(*old.leverage, Leverage(text, over, evidence, data.date)))
    elif data.kind == "contribution":
        profile = dataclasses.replace(old, contribution=Evidenced(text, evidence, data.date))
    else:
        raise InputError(f"unknown entry kind {data.kind!r}: use {', '.join(ENTRY_KINDS)}", field="kind")
    profile = dataclasses.replace(profile, updated_by=p.username)
    scope.svc.save_profile(book_id(scope.process_id, label), profile)
    return {"actor_id": actor_id, "label": label, "kind": data.kind}


def record_decision(
    ctx: WebContext,
    scope: Scope,
    kind: str,
    *,
    a: str | None,
    b: str | None,
    target: str | None,
    note: str,
    score: float | None,
    ip: str,
) -> Decision:
    """Merge, reject or undo in the registry (curators only), audited in the same transaction."""
    require(may_curate(scope.principal, scope.process_id))
    p, svc = scope.principal, scope.svc
    if kind in ("merge", "reject") and (not a or not b):
        raise InputError(f"a {kind} names two actors", field="b" if a else "a")
    with ctx.db.transaction() as s:
        if kind == "merge":
            assert a is not None and b is not None
            decision = svc.merge(a, b, by=p.username, note=note, score=score)
        elif kind == "reject":
            assert a is not None and b is not None
            decision = svc.reject(a, b, by=p.username, note=note, score=score)
        elif kind == "undo":
            decision = svc.undo(target or None, by=p.username, note=note)
        else:
            raise InputError(f"unknown decision {kind!r}: use merge, reject or undo", field="kind")
        record_audit(
            s,
            f"actors.{kind}",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"actors:{decision.id}",
            detail={"into": decision.into, "other": decision.other, "target": decision.target,
                    "process": scope.process_id, "via": p.via},
            ip=ip,
            clock=ctx.clock,
        )  # fmt: skip
    return decision


def export_network(ctx: WebContext, scope: Scope, filt: NetFilter, fmt: str, ip: str) -> tuple[bytes, str]:
    """The network (registry facts, scores from the exportable profiles, edge counts) as GraphML or CSV."""
    p = scope.principal
    require(access.decide(p.subject, Action.EXPORT, access.Resource.process(scope.process_id)))
    if not scope.perms.exportable:
        raise Forbidden("nothing of this process may be exported by this member")
    if fmt not in ("graphml", "actors.csv", "relations.csv"):
        raise InputError("format: graphml, actors.csv or relations.csv", field="format")
    m = measure(scope, filt, labels=scope.perms.exportable)
    graph = network_graph(m.relations, m.registry, m.analysis)
    with tempfile.TemporaryDirectory(prefix="detente-actors-") as tmp:
        root = Path(tmp)
        if fmt == "graphml":
            write_graphml(graph, root / "network.graphml")
            body = (root / "network.graphml").read_bytes()
        else:
            write_csv(graph, root / "actors.csv", root / "relations.csv")
            body = (root / fmt).read_bytes()
        with ctx.db.transaction() as s:
            record_audit(
                s,
                "actors.exported",
                actor_id=p.user_id,
                actor_name=p.username,
                target=f"process:{scope.process_id}",
                detail={"format": fmt, "window": m.analysis.window, "nodes": graph.number_of_nodes(),
                        "edges": graph.number_of_edges(), "via": p.via},
                ip=ip,
                clock=ctx.clock,
            )  # fmt: skip
    return body, fmt
