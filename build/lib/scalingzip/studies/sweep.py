"""Sweeps of training runs: each run a pure function of a frozen config, cached by its hash.

A scaling study is dozens of small experiments that differ in one or two numbers. This module
runs them and keeps their results, so that a notebook reads them in a second instead of
retraining for half an hour:

* A **run config** is a frozen dataclass with an ``execute(device)`` method that returns a dict
  of JSON-ready metrics and depends on nothing but the config (seeds included). Every config
  dataclass a record stores, the run config and those nested in it, is registered under a short
  *kind* by its study (:data:`scalingzip.studies.STUDIES`); a stored config names its classes by
  these kinds, never by module paths, so classes can move without invalidating the records.
* :func:`config_key` hashes a config's fields (SHA-256 of canonical JSON, with the kinds and
  :data:`SCHEMA`): any change to any field gives a new key, an equal config the same key.
* :func:`run` executes one config and returns a :class:`Record`: the config, its metrics, the
  wall time, the device, the thread count and the versions that produced it.
* :func:`run_sweep` runs a list of configs, skipping every one whose ``<key>.json`` is already in
  the results folder, writing each new record there the moment it arrives, with a progress bar.
  Runs go to one of three executors: in this process (the default), a pool of local processes
  (``workers=2``), or a Dask cluster (``executor=`` a :class:`distributed.Client` or a scheduler
  address), so that a class with a cluster can spread a sweep over many machines. The records
  come back to the process that called :func:`run_sweep`, which alone writes them, so workers
  need no shared file system.

The device is chosen per run where it executes (:func:`resolve_device`): CUDA if the worker has
it, else Apple's MPS, else the CPU. Results on the CPU with one thread are bit-for-bit
reproducible on one machine; other thread counts and devices change the last digits, which is
why every record says what produced it.

On a Slurm cluster, `dask-jobqueue <https://jobqueue.dask.org>`_ starts the workers as batch
jobs; pass its cluster's client::

    from dask_jobqueue import SLURMCluster
    from distributed import Client
    cluster = SLURMCluster(cores=8, processes=8, memory="16GB", walltime="01:00:00")
    cluster.scale(jobs=4)  # 32 single-threaded workers
    records = run_sweep(configs, results=path, executor=Client(cluster))
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

import torch
from tqdm import tqdm

from scalingzip.nn.determinism import one_thread

__all__ = [
    "SCHEMA",
    "Record",
    "RunConfig",
    "config_from_dict",
    "config_key",
    "config_to_dict",
    "load_record",
    "load_records",
    "machine_name",
    "resolve_device",
    "run",
    "run_sweep",
    "save_record",
]

# Bump when the meaning or the format of a stored record changes; every key changes with it.
# 1: nested configs tagged by their module path ("__class__": "scalingzip.models:TransformerConfig").
# 2: every config dataclass tagged by its registered kind ("__kind__": "transformer"); the
#    committed records were migrated from 1 by results/migrate_records.py.
SCHEMA = 2


class RunConfig(Protocol):
    """What :func:`run` needs of a config: a frozen dataclass whose ``execute`` is pure."""

    def execute(self, device: torch.device) -> dict[str, Any]: ...

    # optional: ``cost() -> float``, proportional to the run's time; the runner starts costly runs first


_KINDS: dict[str, type] = {}  # kind -> class, filled from the registry of studies on first use


def _kinds() -> dict[str, type]:
    """Every registered config kind and its class (imports the studies' modules once)."""
    if not _KINDS:
        from scalingzip.studies import STUDIES

        found: dict[str, type] = {}
        for study in STUDIES.values():
            module = study.load_module()
            for kind, name in study.kinds.items():
                cls = getattr(module, name)
                if found.setdefault(kind, cls) is not cls:
                    raise AssertionError(f"kind {kind!r} names two classes in scalingzip.studies.STUDIES")
        _KINDS.update(found)
    return _KINDS


def _kind_of(config: object) -> str:
    cls = type(config)
    for kind, known in _kinds().items():
        if known is cls:
            return kind
    raise TypeError(f"{cls.__qualname__} is not a registered run config; add it to its study's kinds in "
                    "scalingzip.studies.STUDIES")


def _class_of(kind: str) -> type:
    if kind not in _kinds():
        raise ValueError(f"unknown run kind {kind!r}; known kinds: {', '.join(_kinds())}")
    return _kinds()[kind]


def _plain(value: Any) -> Any:
    """A config field as JSON: dataclasses become dicts (tagged with their kind), tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__kind__": _kind_of(value), **fields}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"config fields must be numbers, strings, tuples or dataclasses; got {type(value).__name__}")


def _rebuild(value: Any) -> Any:
    if isinstance(value, dict) and "__kind__" in value:
        cls = _class_of(value["__kind__"])
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name in value:
                v = _rebuild(value[f.name])
                kwargs[f.name] = tuple(v) if isinstance(v, list) else v  # configs are frozen: sequences are tuples
        return cls(**kwargs)
    if isinstance(value, list):
        return [_rebuild(v) for v in value]
    return value


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """The config as JSON-ready data: ``{"kind": ..., "fields": ...}``."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"a run config must be a dataclass instance; got {type(config).__name__}")
    plain = _plain(config)
    return {"kind": plain.pop("__kind__"), "fields": plain}


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    """Inverse of :func:`config_to_dict`."""
    return _rebuild({"__kind__": data["kind"], **data["fields"]})


def config_key(config: RunConfig) -> str:
    """A 16-hex-digit key naming the config: SHA-256 of its canonical JSON and :data:`SCHEMA`."""
    canonical = json.dumps({"schema": SCHEMA, **config_to_dict(config)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA if available, else Apple's MPS, else the CPU; anything else as given."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


@dataclass(frozen=True, kw_only=True)
class Record:
    """The result of one run: its config, its metrics, and what produced them."""

    key: str  # config_key(config)
    config: Any  # the run config (a registered frozen dataclass)
    metrics: dict[str, Any]  # what the config's execute() returned
    wall_seconds: float  # time spent in execute()
    device: str  # where it ran ("cpu", "cuda", ...)
    threads: int  # torch's intra-op threads during the run
    versions: dict[str, str]  # scalingzip, torch, python
    machine: str  # platform.machine() and CPU count of the worker

    def __getitem__(self, name: str) -> Any:
        """``record["loss"]``: a metric by name."""
        return self.metrics[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "key": self.key,
            "config": config_to_dict(self.config),
            "metrics": self.metrics,
            "wall_seconds": self.wall_seconds,
            "device": self.device,
            "threads": self.threads,
            "versions": self.versions,
            "machine": self.machine,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        if data.get("schema") == 1:
            raise ValueError("record of schema 1 (configs tagged by module paths), made by an older scalingzip; "
                             "migrate its folder with `python results/migrate_records.py FOLDER`, or rerun it")
        if data.get("schema") != SCHEMA:
            raise ValueError(f"record schema {data.get('schema')!r} is not this scalingzip's {SCHEMA}; rerun it")
        config = config_from_dict(data["config"])
        if config_key(config) != data["key"]:
            raise ValueError(f"record {data['key']}: its config hashes to {config_key(config)}; the file was edited "
                             "or written by another version")
        return cls(key=data["key"], config=config, metrics=data["metrics"], wall_seconds=data["wall_seconds"],
                   device=data["device"], threads=data["threads"], versions=data["versions"], machine=data["machine"])


def run(config: RunConfig, *, device: str | torch.device = "auto", threads: int = 1) -> Record:
    """Execute one run config and return its :class:`Record`.

    Args:
        config: a registered run config.
        device: ``"auto"`` (see :func:`resolve_device`), or a torch device.
        threads: torch's intra-op threads for the run (restored afterwards). One thread per run
            and one run per core is the fastest layout for models this small, and one thread
            makes a CPU run reproducible bit for bit.
    """
    from scalingzip import __version__

    key = config_key(config)
    dev = resolve_device(device)
    with one_thread(threads):
        start = time.perf_counter()
        metrics = config.execute(dev)
        wall = time.perf_counter() - start
    json.dumps(metrics)  # fail here, not when saving, if a metric is not JSON
    return Record(key=key, config=config, metrics=metrics, wall_seconds=round(wall, 3), device=dev.type,
                  threads=threads,
                  versions={"scalingzip": __version__, "torch": torch.__version__,
                            "python": platform.python_version()},
                  machine=machine_name())


def machine_name() -> str:
    """What a record says produced it: the architecture, the CPU's model name where the system
    tells it, and the CPU count (``"x86_64, AMD EPYC 7B13, 2 CPUs"``). Two machines with the same
    name, torch and Python give the same floats on one thread."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return ", ".join(x for x in (platform.machine(), model, f"{os.cpu_count()} CPUs") if x)


def save_record(record: Record, directory: str | os.PathLike) -> Path:
    """Write ``<directory>/<key>.json`` atomically; return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{record.key}.json"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{record.key}.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(record.to_dict(), f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, target)
    return target


def load_record(path: str | os.PathLike) -> Record:
    """Read one stored record; a damaged or edited file raises ``ValueError`` naming it."""
    path = Path(path)
    try:
        return Record.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a sweep record ({type(err).__name__}: {err})") from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def load_records(directory: str | os.PathLike, configs: Iterable[RunConfig] | None = None) -> list[Record]:
    """Stored records: all of a folder's (sorted by key), or those of ``configs`` in their order.

    Raises:
        FileNotFoundError: when ``configs`` is given and one of them has no record; the message
            says how many are missing and which command computes them.
    """
    directory = Path(directory)
    if configs is None:
        return [load_record(p) for p in sorted(directory.glob("*.json"))]
    configs = list(configs)
    paths = [directory / f"{config_key(c)}.json" for c in configs]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} of {len(paths)} runs have no record in {directory} "
                                f"(first: {missing[0].name}); run the sweep first (python -m scalingzip sweep --help)")
    return [load_record(p) for p in paths]


def _unique(configs: Iterable[RunConfig]) -> dict[str, RunConfig]:
    out: dict[str, RunConfig] = {}
    for c in configs:
        out.setdefault(config_key(c), c)
    return out


def _run_job(config: RunConfig, device: str, threads: int) -> dict[str, Any]:
    """What a worker process executes: a record as a plain dict (no pickled torch state)."""
    return run(config, device=device, threads=threads).to_dict()


def run_sweep(
    configs: Sequence[RunConfig],
    *,
    results: str | os.PathLike,
    executor: Any = None,
    workers: int = 1,
    device: str = "auto",
    threads: int = 1,
    progress: bool = True,
    on_record: Callable[[Record], None] | None = None,
) -> list[Record]:
    """Run every config that has no stored record, store the new records, return all of them.

    Args:
        configs: the runs (duplicates are run once).
        results: the folder of ``<key>.json`` records (created if needed).
        executor: ``None`` or ``"local"`` for this machine (``workers`` processes, or this
            process when ``workers == 1``); a :class:`distributed.Client`; or a Dask scheduler
            address such as ``"tcp://10.0.0.5:8786"`` (a client is opened and closed for it).
        workers: local processes (ignored by Dask, whose workers are the cluster's).
        device: passed to :func:`resolve_device` where each run executes.
        threads: torch threads per run.
        progress: show a progress bar over the runs.
        on_record: called with each new record as it is stored.

    Returns:
        One record per config, in the order of ``configs``.
    """
    configs = list(configs)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer; got {workers!r}")
    results = Path(results)
    unique = _unique(configs)
    todo = {k: c for k, c in unique.items() if not (results / f"{k}.json").is_file()}
    # longest first (when the configs can estimate it), so that no worker is left with a long tail
    todo = dict(sorted(todo.items(), key=lambda kc: -float(getattr(kc[1], "cost", lambda: 0.0)())))
    bar = tqdm(total=len(unique), initial=len(unique) - len(todo), disable=not progress, desc="runs", unit="run",
               dynamic_ncols=True)
    # time left: the estimated cost of the runs still to finish, scaled by how the finished runs'
    # wall times compared with their estimates, shared among the workers
    cost = {k: float(getattr(c, "cost", lambda: float("nan"))()) for k, c in todo.items()}
    left, spent, estimated = sum(cost.values()), 0.0, 0.0
    parallel = workers if executor is None or executor == "local" else 1

    def store(data: dict[str, Any]) -> None:
        nonlocal left, spent, estimated
        record = Record.from_dict(data)
        save_record(record, results)
        left -= cost.get(record.key, 0.0)
        spent += record.wall_seconds
        estimated += cost.get(record.key, 0.0)
        eta = left * spent / estimated / parallel if estimated > 0 and left == left else float("nan")
        eta_text = f", about {eta / 60:.0f} min left" if eta == eta else ""
        bar.set_postfix_str(f"{record.key} {record.wall_seconds:.0f} s{eta_text}", refresh=False)
        bar.update(1)
        if on_record is not None:
            on_record(record)

    try:
        if todo:
            if executor is None or executor == "local":
                if workers == 1:
                    for config in todo.values():
                        store(_run_job(config, device, threads))
                else:
                    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                        futures = [pool.submit(_run_job, c, device, threads) for c in todo.values()]
                        for future in as_completed(futures):
                            store(future.result())
            else:
                _run_on_dask(executor, todo, device, threads, store)
    finally:
        bar.close()
    return load_records(results, configs)


def _run_on_dask(executor: Any, todo: dict[str, RunConfig], device: str, threads: int,
                 store: Callable[[dict[str, Any]], None]) -> None:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:  # pragma: no cover - distributed is in requirements.txt
        raise ImportError("the Dask executor needs the 'distributed' package: pip install 'dask[distributed]'") from None
    own = isinstance(executor, str)
    if own:
        client = Client(executor)
    elif isinstance(executor, Client):
        client = executor
    else:
        raise TypeError(f"executor must be None, 'local', a distributed.Client or a scheduler address; "
                        f"got {type(executor).__name__}")
    try:
        futures = [client.submit(_run_job, c, device, threads, key=f"scalingzip-run-{k}", pure=False)
                   for k, c in todo.items()]
        for future in dask_completed(futures):
            store(future.result())
    finally:
        if own:
            client.close()
