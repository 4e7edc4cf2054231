"""Sphinx extension: the notebooks a build must execute run side by side, one kernel per core.

MyST-NB executes the notebooks of a book one after another, as Sphinx reads them. With
``execute_notebooks: cache`` (``_config.yml``) every executed notebook lands in the build's
execution cache (jupyter-cache), and a notebook found there is not executed again. So, before
Sphinx reads anything, this extension finds the notebooks that are about to be read and are not
in the cache, executes them in parallel (``nb_parallel_workers`` processes, default one per CPU),
and caches each one that ran without an error. MyST-NB then finds every one of them in the cache.

Each kernel runs PyTorch and the BLAS libraries on one thread (``OMP_NUM_THREADS=1``): as many
kernels as cores, one thread each, rather than each kernel starting a thread per core and the
kernels fighting over the CPU. When this was added, the 606 values the book glues were compared
between a build with one thread per kernel and one with the default: all equal.

Nothing else about the result changes: each notebook is still executed exactly once, in its own fresh
kernel, in its own folder, with the same timeout, and the same notebook object MyST-NB would
execute (read the same way, after the same ``source-read`` handlers, such as
:mod:`scalingzip.book.labpages`' lab view) is what is hashed and cached. A notebook that fails
is not cached, so MyST-NB executes it again in the usual way and reports its error as it always
has. Set ``nb_parallel_workers`` to 1 to turn the extension off.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _one_thread_per_kernel() -> None:
    """In each worker process, before any kernel starts: its kernels inherit one thread for PyTorch and BLAS."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


def _execute(nb, cwd: str, timeout: int | None, allow_errors: bool):
    """In a worker process: execute one notebook; return it, the seconds taken and any error as text."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(nb, cwd=cwd, timeout=timeout, allow_errors=allow_errors, meta_override=True)
    return result.nb, result.time, (None if result.err is None else result.exc_string or repr(result.err))


def _notebook_as_read(app, docname: str, path: Path, nb_config):
    """The notebook MyST-NB will execute for ``docname``, or None if it will not execute it from the cache."""
    from myst_nb.core.read import standard_nb_read
    from myst_nb.core.nb_to_tokens import nb_node_to_dict

    source = [path.read_text(encoding="utf-8")]
    app.emit("source-read", docname, source)
    nb = standard_nb_read(source[0])
    overrides = nb_node_to_dict(nb.metadata.get(nb_config.metadata_key, {}))
    if overrides.get("execution_mode", nb_config.execution_mode) != "cache":
        return None
    return nb


def _execute_in_parallel(app, env, docnames: list[str]) -> None:
    """``env-before-read-docs``: execute, side by side, the notebooks about to be read that are not cached."""
    nb_config = getattr(env, "mystnb_config", None)
    workers = app.config.nb_parallel_workers or os.cpu_count() or 1
    if nb_config is None or nb_config.execution_mode != "cache" or workers < 2:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(nb_config.execution_cache_path)
    todo = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix != ".ipynb":
            continue
        nb = _notebook_as_read(app, docname, path, nb_config)
        if nb is None:
            continue
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append((docname, path, nb))
    if len(todo) < 2:
        return
    logger.info(f"executing {len(todo)} notebooks, {min(workers, len(todo))} at a time")
    start = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter per worker, not a copy of Sphinx's
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=spawn,
                             initializer=_one_thread_per_kernel) as pool:
        futures = [(path, pool.submit(_execute, nb, str(path.parent), nb_config.execution_timeout,
                                               nb_config.execution_allow_errors))
                   for docname, path, nb in todo]
        for path, future in futures:
            executed, seconds, error = future.result()
            if error is not None:  # left uncached: MyST-NB executes it again and reports the error
                logger.info(f"{path}: failed in parallel execution; MyST-NB runs it again and reports the error")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(executed, str(path), data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            logger.info(f"{path}: Executed notebook in {seconds:.2f} seconds, in parallel; cached")
    logger.info(f"parallel execution: {len(todo)} notebooks in {time.perf_counter() - start:.0f} s")


def setup(app):
    app.add_config_value("nb_parallel_workers", 0, "", [int])  # 0: one per CPU; 1: off
    app.connect("env-before-read-docs", _execute_in_parallel)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
