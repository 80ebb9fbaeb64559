"""Build ``src/detente/db/data/common-passwords.txt.gz``, the list of common passwords a new password is checked
against (docs/security.md, "Accounts and sessions").

The source is the list Django ships (``django/contrib/auth/common-passwords.txt.gz``): 20,000 common passwords,
lowercased and deduplicated, made by Royce Williams from breach corpora; Django is under the BSD 3-Clause licence,
whose text goes with the list. Django is only needed to run this script, not at run time:

    pip download --no-deps 'django==5.2.*' -d /tmp/dj && python tools/build_common_passwords.py /tmp/dj/django-*.whl

The output is deterministic (sorted, gzip without a timestamp), so a rebuild from the same Django is byte-identical.
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

MEMBER = "django/contrib/auth/common-passwords.txt.gz"
OUT = Path(__file__).resolve().parents[1] / "src" / "detente" / "db" / "data"


def read_list(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read(MEMBER)).decode("utf-8")
        licence = next(n for n in zf.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
        (OUT / "common-passwords.LICENSE").write_bytes(zf.read(licence))
    return sorted({line.strip().lower() for line in raw.splitlines() if line.strip()})


def write_list(words: list[str]) -> Path:
    target = OUT / "common-passwords.txt.gz"
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as gz:
        gz.write(("\n".join(words) + "\n").encode("utf-8"))
    target.write_bytes(buffer.getvalue())
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: build_common_passwords.py DJANGO_WHEEL", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    words = read_list(Path(argv[0]))
    print(f"{write_list(words)}: {len(words)} passwords")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
