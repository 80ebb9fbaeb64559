"""All application state in SQL: CBM settings, process measures, trust states, plans and step links; the actor
registry's sources and decisions, stakeholder profiles and analyst relations; what the audit trail is about.

Earlier releases kept the CBM and actor state in workspace files. When :func:`detente.db.migrate` is given the
workspace, this revision reads those files into the new tables in the same transaction; once it has committed,
``migrate`` moves the folders to ``<workspace>/pre-sql-state/`` (kept for the record, never read again). Files that
name no process of this database (a ``--save`` name, a free-form ``--process`` book) are not imported and are kept
there too; the revision says so on the ``detente.db.migrate`` logger.

Derived records get ``inputs_label``: the narrowest label of what they were computed from, looked up here in SQL
(a compliance record counts with its commitment's and its assessments' labels; anything of unknown provenance
counts as ``mediators_only``).

Revision ID: 0005
Revises: 0003, 0004
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None

log = logging.getLogger("detente.db.migrate")

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_REV = re.compile(r"^rev-(\d{4,})\.json$")
_LINK = re.compile(r"^rev-(\d{4,})-step-(\d+)\.json$")
_BOOK = re.compile(r"^p(\d+)\.(public|all_parties|mediators_only|party-\d+)\.json$")

#: the folder the imported files are moved to once the migration has committed
LEGACY_FOLDER = "pre-sql-state"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{ref_table}", ondelete=ondelete)


def _schema() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("process_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("label", sa.String(40), nullable=True))
    op.create_table(
        "cbm_settings",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("trust_label", sa.String(40), nullable=False),
        sa.Column("plan_label", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        _fk("cbm_settings", "process_id", "processes.id", "CASCADE"),
        sa.PrimaryKeyConstraint("process_id", name="pk_cbm_settings"),
    )
    op.create_table(
        "cbm_measures",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(100), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("body", _JSON, nullable=False),
        _fk("cbm_measures", "process_id", "processes.id", "CASCADE"),
        _fk("cbm_measures", "added_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("process_id", "measure_id", name="pk_cbm_measures"),
    )
    op.create_table(
        "cbm_trust_states",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("inputs_label", sa.String(40), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("cbm_trust_states", "process_id", "processes.id", "CASCADE"),
        _fk("cbm_trust_states", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("process_id", "revision", name="pk_cbm_trust_states"),
    )
    op.create_table(
        "cbm_plans",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("supersedes", sa.Integer(), nullable=True),
        sa.Column("inputs_label", sa.String(40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("cbm_plans", "process_id", "processes.id", "CASCADE"),
        _fk("cbm_plans", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("process_id", "revision", name="pk_cbm_plans"),
    )
    op.create_table(
        "cbm_step_links",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id", "revision"],
            ["cbm_plans.process_id", "cbm_plans.revision"],
            name="fk_cbm_step_links_plan",
            ondelete="CASCADE",
        ),
        _fk("cbm_step_links", "commitment_id", "commitments.id", "CASCADE"),
        sa.PrimaryKeyConstraint("process_id", "revision", "position", name="pk_cbm_step_links"),
        sa.UniqueConstraint("commitment_id", name="uq_cbm_step_links_commitment_id"),
    )
    op.create_table(
        "actor_builds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("built_at", _TS, nullable=False),
        sa.Column("inputs", _JSON, nullable=False),
        sa.Column("actors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_actor_builds"),
    )
    op.create_table(
        "actor_sources",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("country_iso3", sa.String(3), nullable=True),
        sa.Column("aliases", _JSON, nullable=False),
        sa.Column("parents", _JSON, nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("ids", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_actor_sources"),
    )
    op.create_table(
        "actor_decisions",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("into", sa.String(300), nullable=True),
        sa.Column("other", sa.String(300), nullable=True),
        sa.Column("target", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        _fk("actor_decisions", "process_id", "processes.id", "SET NULL"),
        _fk("actor_decisions", "actor_user_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("seq", name="pk_actor_decisions"),
        sa.UniqueConstraint("id", name="uq_actor_decisions_id"),
    )
    op.create_table(
        "actor_profiles",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(300), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        _fk("actor_profiles", "process_id", "processes.id", "CASCADE"),
        _fk("actor_profiles", "updated_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("process_id", "label", "actor_id", name="pk_actor_profiles"),
    )
    op.create_table(
        "actor_relations",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(20), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("actor_relations", "process_id", "processes.id", "CASCADE"),
        _fk("actor_relations", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("process_id", "id", name="pk_actor_relations"),
    )
    op.create_index("ix_actor_relations_process_id_label", "actor_relations", ["process_id", "label"])


def upgrade() -> None:
    _schema()
    config = op.get_context().config
    workspace = config.attributes.get("workspace") if config is not None else None
    if isinstance(workspace, Path):
        moved = _Import(op.get_bind(), workspace).run()
        if moved and config is not None:
            config.attributes.setdefault("after_commit", []).append(("move_legacy", workspace, moved))


def downgrade() -> None:
    for table in ("actor_relations", "actor_profiles", "actor_decisions", "actor_sources", "actor_builds"):
        op.drop_table(table)
    for table in ("cbm_step_links", "cbm_plans", "cbm_trust_states", "cbm_measures", "cbm_settings"):
        op.drop_table(table)
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("label")
        batch.drop_column("process_id")


# --- labels (a frozen copy of the rule in detente.access.labels) ----------------------------------------------------

_WIDTH = {"public": 3, "all_parties": 2, "party": 1, "mediators_only": 0}


def _kind(label: str) -> str:
    return "party" if label.startswith("party:") else label


def _meet(a: str, b: str) -> str:
    if a == b:
        return a
    if _kind(a) == "party" and _kind(b) == "party":
        return "mediators_only"
    return a if _WIDTH.get(_kind(a), 0) < _WIDTH.get(_kind(b), 0) else b


def _narrowest(labels: list[str]) -> str:
    out = "public"
    for label in labels:
        out = _meet(out, label if _kind(label) in _WIDTH else "mediators_only")
    return out


# --- reading the files ---------------------------------------------------------------------------------------------


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{path}: cannot be read for the move to SQL ({exc})") from exc


def _when(text: object, path: Path) -> datetime:
    if isinstance(text, str):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if value.tzinfo is not None:
                return value.astimezone(UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class _Import:
    """Read the workspace's CBM and actor files into the tables (one transaction: the migration's)."""

    def __init__(self, conn: sa.Connection, workspace: Path) -> None:
        self.conn = conn
        self.ws = workspace
        self.processes = {int(r[0]) for r in conn.execute(sa.text("SELECT id FROM processes"))}
        self.users = {int(r[0]): str(r[1]) for r in conn.execute(sa.text("SELECT id, username FROM users"))}
        self.user_ids = {name: uid for uid, name in self.users.items()}
        self.skipped: list[str] = []
        self.counts: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def _process(self, name: str, path: Path) -> int | None:
        if name.isdigit() and int(name) in self.processes:
            return int(name)
        self.skipped.append(str(path.relative_to(self.ws)))
        return None

    def run(self) -> list[str]:
        moved = []
        if (self.ws / "cbm").is_dir():
            self._cbm(self.ws / "cbm")
            moved.append("cbm")
        if (self.ws / "actors").is_dir():
            self._actors(self.ws / "actors")
            moved.append("actors")
        if moved:
            log.warning(
                "moved workspace state into SQL: %s; not imported (no such process): %s",
                ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items())) or "nothing",
                ", ".join(self.skipped) or "none",
            )
        return moved

    # -- CBM --------------------------------------------------------------------------------------------------
    def _labels_of_commitment(self, process_id: int, commitment_id: object) -> list[str]:
        try:
            cid = int(str(commitment_id))
        except ValueError:
            return ["mediators_only"]
        row = self.conn.execute(
            sa.text("SELECT label FROM commitments WHERE id = :id AND process_id = :p"), {"id": cid, "p": process_id}
        ).first()
        if row is None:
            return ["mediators_only"]
        found = [str(row[0])]
        found += [
            str(r[0])
            for r in self.conn.execute(sa.text("SELECT label FROM assessments WHERE commitment_id = :id"), {"id": cid})
        ]
        return found

    def _audit(self, process_id: int, action: str) -> list[tuple[int, dict[str, Any]]]:
        rows = self.conn.execute(
            sa.text("SELECT id, detail FROM audit_events WHERE action = :a AND target = :t ORDER BY id"),
            {"a": action, "t": f"process:{process_id}"},
        )
        return [(int(i), d if isinstance(d, dict) else json.loads(d or "{}")) for i, d in rows]

    def _label_when(self, process_id: int, audit_id: int | None, trust_label: str) -> str:
        """The trust label in force when the audit event ``audit_id`` was written (None: before any change)."""
        changes = self._audit(process_id, "cbm.labels")
        label = str(changes[0][1].get("before", {}).get("trust_label", trust_label)) if changes else trust_label
        for change_id, detail in changes:
            if audit_id is not None and change_id < audit_id:
                label = str(detail.get("after", {}).get("trust_label", label))
        return label

    def _plan_event(self, process_id: int, revision: int) -> int | None:
        for action in ("cbm.plan", "cbm.replan"):
            for event_id, detail in self._audit(process_id, action):
                if detail.get("revision") == revision:
                    return event_id
        return None

    def _state_labels(self, process_id: int, state: dict[str, Any], trust_label: str) -> list[str]:
        """The labels of what a stored trust state was computed from. A compliance record counts with its
        commitment's and assessments' labels. An analyst's judgement counts with the trust label in force when it was
        made: rebuilt from the audit trail (``cbm.labels`` changes, ``cbm.trust_input`` events matched by pair and
        rationale); a judgement the trail does not hold counts with the label in force before the first change."""
        inputs = self._audit(process_id, "cbm.trust_input")
        used: set[int] = set()
        labels = []
        for update in state.get("history", []):
            evidence = update.get("evidence", {})
            if evidence.get("kind") == "compliance":
                labels += self._labels_of_commitment(process_id, evidence.get("commitment_id"))
                continue
            key = (evidence.get("truster"), evidence.get("trustee"), evidence.get("rationale"))
            match = next((i for i, d in inputs if i not in used and (d.get("truster"), d.get("trustee"),
                                                                   d.get("rationale")) == key), None)  # fmt: skip
            if match is not None:
                used.add(match)
            labels.append(self._label_when(process_id, match, trust_label))
        return labels or [trust_label]

    def _cbm(self, root: Path) -> None:
        settings: dict[int, dict[str, str]] = {}
        for path in sorted((root / "settings").glob("*.json")) if (root / "settings").is_dir() else []:
            pid = self._process(path.stem, path)
            if pid is None:
                continue
            doc = _json(path)
            settings[pid] = {
                "trust_label": str(doc.get("trust_label", "mediators_only")),
                "plan_label": str(doc.get("plan_label", "mediators_only")),
            }
            self.conn.execute(
                sa.text(
                    "INSERT INTO cbm_settings (process_id, trust_label, plan_label, version, updated_at) "
                    "VALUES (:p, :t, :l, 1, :at)"
                ),
                {
                    "p": pid,
                    "t": settings[pid]["trust_label"],
                    "l": settings[pid]["plan_label"],
                    "at": _when(None, path),
                },
            )
            self._count("CBM settings")
        measure_labels: dict[tuple[int, str], str] = {}
        for folder in sorted((root / "measures").iterdir()) if (root / "measures").is_dir() else []:
            pid = self._process(folder.name, folder)
            if pid is None:
                continue
            for path in sorted(folder.glob("*.json")):
                doc = _json(path)
                measure = doc["measure"]
                added_by = doc.get("added_by")
                measure_labels[(pid, str(measure["id"]))] = str(doc["label"])
                self.conn.execute(
                    sa.text(
                        "INSERT INTO cbm_measures (process_id, measure_id, label, added_by, added_at, body) "
                        "VALUES (:p, :m, :l, :by, :at, :body)"
                    ).bindparams(sa.bindparam("body", type_=_JSON)),
                    {
                        "p": pid,
                        "m": str(measure["id"]),
                        "l": str(doc["label"]),
                        "by": added_by if added_by in self.users else None,
                        "at": _when(doc.get("added_at"), path),
                        "body": measure,
                    },
                )
                self._count("process measures")
        for folder in sorted((root / "trust").iterdir()) if (root / "trust").is_dir() else []:
            pid = self._process(folder.name, folder)
            if pid is None:
                continue
            trust_label = settings.get(pid, {}).get("trust_label", "mediators_only")
            for path in sorted(folder.iterdir()):
                m = _REV.match(path.name)
                if m is None:
                    continue
                text = path.read_text(encoding="utf-8")
                state = json.loads(text)
                history = state.get("history", [])
                self.conn.execute(
                    sa.text(
                        "INSERT INTO cbm_trust_states (process_id, revision, inputs_label, state, created_at, "
                        "created_by) VALUES (:p, :r, :l, :s, :at, NULL)"
                    ),
                    {
                        "p": pid,
                        "r": int(m.group(1)),
                        "l": _narrowest(self._state_labels(pid, state, trust_label)),
                        "s": text,
                        "at": _when(history[-1].get("time") if history else None, path),
                    },
                )
                self._count("trust revisions")
        plans: set[tuple[int, int]] = set()
        for folder in sorted((root / "plans").iterdir()) if (root / "plans").is_dir() else []:
            pid = self._process(folder.name, folder)
            if pid is None:
                continue
            trust_label = settings.get(pid, {}).get("trust_label", "mediators_only")
            for path in sorted(folder.iterdir()):
                m = _REV.match(path.name)
                if m is None:
                    continue
                text = path.read_text(encoding="utf-8")
                doc = json.loads(text)
                doc["process"] = str(pid)
                plan = doc.get("plan", {})
                labels = self._state_labels(pid, doc.get("state", {}), trust_label)
                # the plan shows the beliefs of that state, as the trust label in force when it was made allowed
                labels.append(self._label_when(pid, self._plan_event(pid, int(m.group(1))), trust_label))
                trigger = doc.get("trigger")
                if isinstance(trigger, dict):
                    labels += self._labels_of_commitment(pid, trigger.get("commitment_id"))
                used = [s.get("measure_id") for s in (*plan.get("steps", []), *plan.get("taken", []))]
                used += list(plan.get("constraints", {}).get("exclude", []))
                labels += [measure_labels[(pid, str(u))] for u in used if (pid, str(u)) in measure_labels]
                self.conn.execute(
                    sa.text(
                        "INSERT INTO cbm_plans (process_id, revision, supersedes, inputs_label, body, created_at, "
                        "created_by) VALUES (:p, :r, :sup, :l, :b, :at, NULL)"
                    ),
                    {
                        "p": pid,
                        "r": int(m.group(1)),
                        "sup": doc.get("supersedes"),
                        "l": _narrowest(labels),
                        "b": json.dumps(doc, indent=2, ensure_ascii=False),
                        "at": _when(None, path),
                    },
                )
                plans.add((pid, int(m.group(1))))
                self._count("plan revisions")
        for folder in sorted((root / "links").iterdir()) if (root / "links").is_dir() else []:
            pid = self._process(folder.name, folder)
            if pid is None:
                continue
            for path in sorted(folder.iterdir()):
                m = _LINK.match(path.name)
                if m is None:
                    continue
                rev, pos = int(m.group(1)), int(m.group(2))
                cid = _json(path).get("commitment_id")
                exists = self.conn.execute(
                    sa.text("SELECT 1 FROM commitments WHERE id = :id AND process_id = :p"), {"id": cid, "p": pid}
                ).first()
                if (pid, rev) not in plans or exists is None:
                    self.skipped.append(str(path.relative_to(self.ws)))
                    continue
                self.conn.execute(
                    sa.text(
                        "INSERT INTO cbm_step_links (process_id, revision, position, commitment_id) "
                        "VALUES (:p, :r, :pos, :c)"
                    ),
                    {"p": pid, "r": rev, "pos": pos, "c": int(cid)},
                )
                self._count("step links")
        for extra in sorted(
            p.name for p in root.iterdir() if p.name not in {"settings", "measures", "trust", "plans", "links"}
        ):
            self.skipped.append(f"cbm/{extra}")

    # -- actors -----------------------------------------------------------------------------------------------
    def _actors(self, root: Path) -> None:
        sources = root / "sources.json"
        if sources.exists():
            doc = _json(sources)
            actors = doc.get("actors", [])
            for a in actors:
                self.conn.execute(
                    sa.text(
                        "INSERT INTO actor_sources (key, name, kind, country_iso3, aliases, parents, events, ids) "
                        "VALUES (:k, :n, :kind, :c, :al, :par, :ev, :ids)"
                    ).bindparams(
                        sa.bindparam("al", type_=_JSON),
                        sa.bindparam("par", type_=_JSON),
                        sa.bindparam("ids", type_=_JSON),
                    ),
                    {
                        "k": str(a["key"]),
                        "n": str(a["name"]),
                        "kind": str(a["kind"]),
                        "c": a.get("country_iso3"),
                        "al": list(a.get("aliases", [])),
                        "par": list(a.get("parents", [])),
                        "ev": int(a.get("events", 0)),
                        "ids": list(a.get("ids", [])),
                    },
                )
            self.conn.execute(
                sa.text("INSERT INTO actor_builds (built_at, inputs, actors) VALUES (:at, :inputs, :n)").bindparams(
                    sa.bindparam("inputs", type_=_JSON)
                ),
                {"at": _when(doc.get("built_at"), sources), "inputs": list(doc.get("inputs", [])), "n": len(actors)},
            )
            self._count("registry builds")
        decisions = root / "decisions.json"
        if decisions.exists():
            for seq, d in enumerate(_json(decisions).get("decisions", []), start=1):
                self.conn.execute(
                    sa.text(
                        'INSERT INTO actor_decisions (seq, id, kind, at, "by", "into", other, target, note, score, '
                        "process_id, actor_user_id) VALUES (:seq, :id, :kind, :at, :by, :into, :other, :target, "
                        ":note, :score, NULL, :uid)"
                    ),
                    {
                        "seq": seq,
                        "id": str(d["id"]),
                        "kind": str(d["kind"]),
                        "at": _when(d.get("at"), decisions),
                        "by": str(d.get("by", "")),
                        "into": d.get("into"),
                        "other": d.get("other"),
                        "target": d.get("target"),
                        "note": str(d.get("note", "")),
                        "score": d.get("score"),
                        "uid": self.user_ids.get(str(d.get("by", ""))),
                    },
                )
                self._count("registry decisions")
        books = root / "processes"
        for path in sorted(books.glob("*.json")) if books.is_dir() else []:
            m = _BOOK.match(path.name)
            if m is None or int(m.group(1)) not in self.processes:
                self.skipped.append(str(path.relative_to(self.ws)))
                continue
            pid, label = int(m.group(1)), m.group(2).replace("party-", "party:")
            book = _json(path).get("book", {})
            for profile in book.get("profiles", []):
                if profile.get("label") != label:
                    raise RuntimeError(f"{path}: a profile labelled {profile.get('label')!r} in the {label} book")
                self.conn.execute(
                    sa.text(
                        "INSERT INTO actor_profiles (process_id, label, actor_id, body, version, updated_at, "
                        "updated_by) VALUES (:p, :l, :a, :body, 1, :at, :by)"
                    ).bindparams(sa.bindparam("body", type_=_JSON)),
                    {
                        "p": pid,
                        "l": label,
                        "a": str(profile["actor_id"]),
                        "body": profile,
                        "at": _when(None, path),
                        "by": self.user_ids.get(str(profile.get("updated_by", ""))),
                    },
                )
                self._count("stakeholder profiles")
            for relation in book.get("relations", []):
                self.conn.execute(
                    sa.text(
                        "INSERT INTO actor_relations (process_id, id, label, body, created_at, created_by) "
                        "VALUES (:p, :id, :l, :body, :at, :by)"
                    ).bindparams(sa.bindparam("body", type_=_JSON)),
                    {
                        "p": pid,
                        "id": str(relation["id"]),
                        "l": str(relation.get("label", label)),
                        "body": relation,
                        "at": _when(relation.get("date"), path),
                        "by": self.user_ids.get(str(relation.get("created_by", ""))),
                    },
                )
                self._count("analyst relations")
