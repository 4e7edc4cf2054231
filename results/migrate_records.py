"""Migrate stored sweep records from schema 1 to schema 2 (``python results/migrate_records.py [FOLDER ...]``).

Why. A record stores its run config as JSON, and is named (``<key>.json``) by a hash of that JSON
(:func:`scalingzip.studies.sweep.config_key`). In schema 1 a config nested in a run config was
tagged by its class's module path, ``{"__class__": "scalingzip.models:TransformerConfig", ...}``;
when the package was reorganised into concept sub-packages (``scalingzip.models`` became
``scalingzip.nn.transformer``, ``scalingzip.train`` became ``scalingzip.nn.train``), every record
of the nlp study named classes that no longer exist and none of them loaded. Schema 2 tags every
config dataclass, top-level and nested, by the short *kind* its study registers in
:data:`scalingzip.studies.STUDIES` (``{"__kind__": "transformer", ...}``), so a class can move
again without touching a record. The schema is part of every key, so every key changes.

What it does, for each ``*.json`` record of schema 1 in the folders given (default: every study
folder next to this script):

1. rewrites the config: each ``"__class__"`` tag becomes the ``"__kind__"`` of that class
   (:data:`OLD_CLASSES`), and the schema becomes 2; the metrics, the wall time, the device, the
   thread count, the versions and the machine are copied unchanged;
2. rebuilds the config with today's classes and checks that the runner writes exactly the
   rewritten config (:func:`~scalingzip.studies.sweep.config_to_dict`), so that the new key is the
   hash of the config as the runner now writes it, not of a hand-made dict;
3. writes ``<new key>.json`` (with :func:`~scalingzip.studies.sweep.save_record`, the runner's own
   format), checks that it loads, that its key is the hash of its config, and that everything but
   the schema, the key and the config tags is equal to the old file's; then deletes the old file.

Records already of schema 2 are left alone, so running it twice changes nothing. It was run once,
on the records committed under ``results/``: 65 nlp records (each with two nested configs), 183 cv
records and 108 pruning records (whose configs nest nothing, so only their schema and key changed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from scalingzip.studies.sweep import (SCHEMA, Record, config_from_dict, config_key, config_to_dict, load_record,
                                      save_record)

# the module paths that schema 1 stored, and the kinds that replace them
OLD_CLASSES = {
    "scalingzip.models:TransformerConfig": "transformer",
    "scalingzip.train:TrainConfig": "train",
}


def _retag(value: Any) -> Any:
    """A schema-1 config field with every ``__class__`` tag replaced by its ``__kind__``."""
    if isinstance(value, dict):
        out = {k: _retag(v) for k, v in value.items() if k != "__class__"}
        if "__class__" in value:
            if value["__class__"] not in OLD_CLASSES:
                raise ValueError(f"no kind known for the class {value['__class__']!r}; add it to OLD_CLASSES")
            out = {"__kind__": OLD_CLASSES[value["__class__"]], **out}
        return out
    if isinstance(value, list):
        return [_retag(v) for v in value]
    return value


def migrate_record(path: Path) -> Path | None:
    """Migrate one schema-1 record file; return the new file's path, or ``None`` if it is not of schema 1."""
    old = json.loads(path.read_text())
    if old.get("schema") != 1:
        return None
    assert SCHEMA == 2, "this script migrates from schema 1 to schema 2"
    config = {"kind": old["config"]["kind"], "fields": _retag(old["config"]["fields"])}
    rebuilt = config_from_dict(config)
    if config_to_dict(rebuilt) != config:
        raise ValueError(f"{path}: the runner would write this config differently; not migrated")
    new = {**old, "schema": SCHEMA, "config": config, "key": config_key(rebuilt)}
    target = save_record(Record.from_dict(new), path.parent)
    loaded = load_record(target)  # raises if the key is not the hash of the config
    written = json.loads(target.read_text())
    unchanged = [k for k in old if k not in ("schema", "key", "config")]
    if (loaded.key != config_key(loaded.config) or written["config"] != config
            or any(written[k] != old[k] for k in unchanged) or set(written) != set(old)):
        raise AssertionError(f"{path}: the migrated record differs from the old one beyond its config tags")
    if target != path:
        path.unlink()
    return target


def main(folders: list[str]) -> int:
    roots = [Path(f) for f in folders] or sorted(p for p in Path(__file__).resolve().parent.iterdir() if p.is_dir())
    for root in roots:
        paths = sorted(root.glob("*.json"))
        migrated = [p for p in paths if migrate_record(p) is not None]
        print(f"{root}: {len(migrated)} of {len(paths)} records migrated to schema {SCHEMA}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
