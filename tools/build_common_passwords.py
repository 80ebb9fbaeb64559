"""Build ``src/detente/db/data/common-passwords.txt.gz``, the list of common passwords a new password is checked
against, and ``common-passwords.LICENSE`` beside it (docs/security.md, "Password policy").

Two sources, each read from a package as its registry serves it:

- Django's ``django/contrib/auth/common-passwords.txt.gz``: 20,000 common passwords made by Royce Williams from
  breach corpora; Django is under the BSD 3-Clause licence.
- ``src/passwords.json`` of the npm package ``@zxcvbn-ts/language-common``: 49,233 passwords, lowercased, that occur
  more than ten times in Mark Burnett's corpus of ten million passwords (2015), less those zxcvbn's own pattern
  matchers rate weaker (per ``data-scripts/_generators/PasswordGenerator.ts`` of the zxcvbn-ts repository); MIT
  licence.

Both are lowercased and merged. What a password is checked against needs every entry of 12 characters or more (the
shortest password allowed), and the shorter entries too: a short entry is the *stem* of longer passwords
(``sunshine`` of ``sunshine2024!``) and, padded with spaces, a password itself. The one kind left out is a short
entry whose own stem, of at least four characters, is listed (``password1``): the stem rule refuses whatever it
would. The licence texts of both sources go into ``common-passwords.LICENSE``. Neither package is needed to run
Détente, only to run this script (with ``PYTHONPATH=src``, for the stem rule it shares with the check):

    pip download --no-deps 'django==5.2.*' -d /tmp/pw
    (cd /tmp/pw && npm pack @zxcvbn-ts/language-common@4.1.3)
    PYTHONPATH=src python tools/build_common_passwords.py /tmp/pw/django-*.whl /tmp/pw/zxcvbn-ts-language-common-*.tgz

The output is deterministic (sorted, gzip without a timestamp), so a rebuild from the same packages is
byte-identical.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from detente.db.password_policy import MIN_PASSWORD_LENGTH, MIN_STEM_LENGTH, stem

DJANGO_MEMBER = "django/contrib/auth/common-passwords.txt.gz"
ZXCVBN_TS_MEMBER = "package/src/passwords.json"
OUT = Path(__file__).resolve().parents[1] / "src" / "detente" / "db" / "data"


@dataclass(frozen=True)
class Source:
    """One list: where it came from, its licence's text, and its passwords (lowercased, distinct)."""

    name: str
    version: str
    member: str
    licence_name: str
    licence: str
    words: frozenset[str]


def read_django(wheel: Path) -> Source:
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read(DJANGO_MEMBER)).decode("utf-8")
        names = zf.namelist()
        licence = zf.read(next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))).decode("utf-8")
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode("utf-8")
    version = next(line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Version:"))
    words = frozenset(line.strip().lower() for line in raw.splitlines() if line.strip())
    return Source("Django", version, DJANGO_MEMBER, "BSD 3-Clause", licence, words)


def read_zxcvbn_ts(tarball: Path) -> Source:
    with tarfile.open(tarball, "r:gz") as tf:

        def text(member: str) -> str:
            found = tf.extractfile(member)
            if found is None:
                raise SystemExit(f"{tarball}: no file {member}")
            return found.read().decode("utf-8")

        listed = json.loads(text(ZXCVBN_TS_MEMBER))
        licence = text("package/LICENSE.txt")
        package = json.loads(text("package/package.json"))
    words = frozenset(str(word).strip().lower() for word in listed if str(word).strip())
    member = ZXCVBN_TS_MEMBER.removeprefix("package/")
    return Source(package["name"], package["version"], member, package["license"], licence, words)


def covered_by_stem(word: str, listed: frozenset[str]) -> bool:
    """Whether every password this short entry could refuse is refused by its stem already."""
    base = stem(word)
    return len(word) < MIN_PASSWORD_LENGTH and base != word and len(base) >= MIN_STEM_LENGTH and base in listed


def merge(sources: list[Source]) -> list[str]:
    listed = frozenset().union(*(s.words for s in sources))
    return sorted(word for word in listed if not covered_by_stem(word, listed))


def write_list(words: list[str]) -> Path:
    target = OUT / "common-passwords.txt.gz"
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as gz:
        gz.write(("\n".join(words) + "\n").encode("utf-8"))
    _replace(target, buffer.getvalue())
    return target


def write_licence(sources: list[Source]) -> Path:
    parts = [
        "common-passwords.txt.gz is made by tools/build_common_passwords.py of Détente from the lists below, each\n"
        "under its own licence, whose text follows.\n"
    ]
    for number, source in enumerate(sources, start=1):
        title = f"{number}. {source.name} {source.version}, {source.member}: {source.licence_name} licence"
        parts.append(f"\n{title}\n{'=' * len(title)}\n\n{source.licence.rstrip()}\n")
    target = OUT / "common-passwords.LICENSE"
    _replace(target, "".join(parts).encode("utf-8"))
    return target


def _replace(target: Path, data: bytes) -> None:
    """Write ``target`` at once (a reader sees the old file or the new one, never half of one)."""
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_common_passwords.py DJANGO_WHEEL ZXCVBN_TS_TARBALL", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    sources = [read_django(Path(argv[0])), read_zxcvbn_ts(Path(argv[1]))]
    words = merge(sources)
    for source in sources:
        long = sum(len(w) >= MIN_PASSWORD_LENGTH for w in source.words)
        print(f"{source.name} {source.version}: {len(source.words)} passwords, {long} of 12 characters or more")
    listed = frozenset().union(*(s.words for s in sources))
    long = sum(len(w) >= MIN_PASSWORD_LENGTH for w in words)
    print(f"together: {len(listed)}; left out, their stem being listed: {len(listed) - len(words)}")
    print(f"{write_list(words)}: {len(words)} passwords, {long} of 12 characters or more")
    print(write_licence(sources))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
