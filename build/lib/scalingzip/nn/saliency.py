"""Saliency: a score for every weight, saying how much the network would miss it.

Unstructured pruning removes the weights that score lowest (:func:`scalingzip.nn.pruning.prune_by_scores`
reaches an exact sparsity with any score). The criteria differ in what they look at:

* **magnitude**, |W_ij| (Han et al. 2015): the weights alone; no data.
* **Taylor**, |W_ij · ∂L/∂W_ij|, the first-order estimate of the change in loss when the weight is
  set to zero, measured on a trained network and averaged over calibration batches (Molchanov et
  al. 2019, who score with its square; the ranking within one batch is the same).
* **SNIP**, |∂L/∂W_ij · W_ij| normalised to sum to one (Lee et al. 2019): the same formula,
  taken at *initialisation*, before any training, to choose which connections a sparse network
  trains with. Here the gradient is that of the loss over all calibration batches together (the
  paper uses one batch), where Taylor averages the magnitude of each batch's product, so two
  batches that pull a weight opposite ways cancel in SNIP but not in Taylor. Which model is passed
  (untrained or trained) is the caller's choice, and the whole difference between the two.
* **Wanda**, |W_ij| · ‖X_j‖₂ (Sun et al. 2024), the weight times the norm of its input feature
  over every token of the calibration data (collected with forward hooks): a weight that reads a
  loud feature matters more. The paper compares scores within each output row
  (``scope="row"``), which is this criterion's default in :func:`saliency_prune`.
* **random**: seeded uniform scores, the control every criterion must beat.

Which layers each criterion scores (``layers=None``): magnitude, Taylor, SNIP and random score
every layer of :func:`~scalingzip.nn.pruning.prunable_layers`, embeddings included, because the
weights' code (:mod:`scalingzip.compressors.weights`) masks and quantises embeddings too. A byte
transformer's output layer is its token embedding (tied), so the gradient of ``tok_emb.weight``
is the sum of both uses, and pruning it removes the entry from both. Positions past the
calibration windows' length never reach the loss, so their ``pos_emb`` rows score zero under
Taylor and SNIP. Wanda scores ``nn.Linear`` layers only, as the paper does: an embedding's input
is a one-hot byte, and the tied output layer is no ``nn.Linear`` (the paper leaves it dense).

Calibration data is a list of batches. For a byte transformer a batch is a ``(B, T + 1)`` int64
tensor of byte windows (:func:`calibration_batches` cuts them) and the loss is :func:`lm_loss`;
any other network works with a ``loss(model, batch)`` of its own.

References:
    S. Han, J. Pool, J. Tran and W. J. Dally (2015), "Learning both Weights and Connections for
    Efficient Neural Networks", NeurIPS.
    P. Molchanov, A. Mallya, S. Tyree, I. Frosio and J. Kautz (2019), "Importance Estimation for
    Neural Network Pruning", CVPR.
    N. Lee, T. Ajanthan and P. H. S. Torr (2019), "SNIP: Single-shot Network Pruning based on
    Connection Sensitivity", ICLR.
    M. Sun, Z. Liu, A. Bair and J. Z. Kolter (2024), "A Simple and Effective Pruning Approach for
    Large Language Models", ICLR (Wanda).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalingzip.nn.pruning import _check_sparsity, _current, _select, prune_by_scores

__all__ = [
    "CRITERIA",
    "calibration_batches",
    "lm_loss",
    "magnitude_scores",
    "random_scores",
    "saliency",
    "saliency_prune",
    "snip_scores",
    "taylor_scores",
    "wanda_scores",
    "weight_gradients",
]

CRITERIA = ("magnitude", "random", "taylor", "snip", "wanda")
NEEDS_DATA = ("taylor", "snip", "wanda")

Loss = Callable[[nn.Module, object], torch.Tensor]  # (model, batch) -> scalar loss (nats)


def lm_loss(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Mean next-byte cross-entropy, in nats, of a byte model on a ``(B, T + 1)`` batch of windows:
    the logits at positions ``0 .. T - 1`` score bytes ``1 .. T``."""
    if not isinstance(batch, torch.Tensor) or batch.dim() != 2 or batch.shape[1] < 2:
        raise ValueError("a batch must be a (B, T + 1) int64 tensor of byte windows, T >= 1; "
                         "make batches with calibration_batches(data, seq_len=...)")
    logits = model(batch[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


def calibration_batches(data: bytes, *, seq_len: int, batch_size: int = 8,
                        n_batches: int | None = None) -> list[torch.Tensor]:
    """Cut bytes into batches of consecutive windows of ``seq_len + 1`` bytes (each window starts on
    the last byte of the one before, so every byte after the first is predicted once).

    Args:
        data: the calibration bytes (training data, not the held-out data the result is judged on).
        seq_len: bytes predicted per window, at most the model's ``n_ctx``.
        batch_size: windows per batch; the last batch may have fewer.
        n_batches: keep only the first this many batches (None: all).

    Returns:
        A list of ``(B, seq_len + 1)`` int64 tensors.

    Raises:
        ValueError: for data shorter than one window, or a non-positive size.
    """
    data = bytes(data)
    for name, value in (("seq_len", seq_len), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if n_batches is not None and (isinstance(n_batches, bool) or not isinstance(n_batches, int) or n_batches < 1):
        raise ValueError(f"n_batches must be a positive int or None; got {n_batches!r}")
    tokens = torch.from_numpy(np.frombuffer(data, dtype=np.uint8).astype(np.int64))
    n_windows = (tokens.numel() - 1) // seq_len
    if n_windows < 1:
        raise ValueError(f"{len(data)} bytes do not fill one window of {seq_len + 1}; pass more calibration data")
    windows = tokens[torch.arange(n_windows)[:, None] * seq_len + torch.arange(seq_len + 1)]  # (n, seq_len + 1)
    batches = list(windows.split(batch_size))
    return batches if n_batches is None else batches[:n_batches]


def _check_batches(batches: Sequence | None, criterion: str) -> list:
    batches = None if batches is None or isinstance(batches, (torch.Tensor, bytes)) else list(batches)
    if not batches:
        raise ValueError(f"the {criterion} criterion needs calibration data: a non-empty list of batches "
                         "(for a byte transformer, calibration_batches(data, seq_len=...))")
    return batches


def magnitude_scores(model: nn.Module, *, layers: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
    """|W| of each layer's current (masked) weights, by layer name; unitless. No data needed."""
    return {name: _current(m).abs() for name, m in _select(model, layers).items()}


def random_scores(model: nn.Module, *, seed: int = 0, layers: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
    """Seeded uniform scores in [0, 1), one per weight: the control that every criterion must beat."""
    g = torch.Generator().manual_seed(seed)
    return {name: torch.rand(m.weight.shape, generator=g) for name, m in _select(model, layers).items()}


def weight_gradients(model: nn.Module, layers: dict[str, nn.Module], batch: object,
                     loss: Loss = lm_loss) -> dict[str, torch.Tensor]:
    """∂L/∂W on one batch, in nats per unit of weight, for each layer's *effective* weight
    (``weight_orig * weight_mask`` where pruned, so masked entries get their gradient too: what
    RigL regrows by), by name; ``layers`` maps names to modules (e.g. :func:`~scalingzip.nn.pruning.prunable_layers`).
    The tied token embedding's gradient sums its two uses. Runs in eval mode and leaves every
    parameter's ``.grad`` untouched; a layer the loss does not reach gets zeros."""
    selected = dict(layers)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            value = loss(model, batch)  # the pruning hooks set each module.weight for this pass
            weights = [m.weight for m in selected.values()]
            live = [i for i, w in enumerate(weights) if w.requires_grad]
            grads = torch.autograd.grad(value, [weights[i] for i in live], allow_unused=True)
    finally:
        model.train(was_training)
    out = {name: torch.zeros(m.weight.shape) for name, m in selected.items()}
    names = list(selected)
    for i, g in zip(live, grads):
        if g is not None:
            out[names[i]] = g.detach()
    return out


def taylor_scores(model: nn.Module, batches: Sequence, *, layers: Iterable[str] | None = None,
                  loss: Loss = lm_loss) -> dict[str, torch.Tensor]:
    """First-order Taylor importance (Molchanov et al. 2019): the mean over batches of |W ⊙ ∂L_b/∂W|,
    by layer name, in nats (the estimated change of the mean loss if the weight were zeroed).

    Meant for a trained network. Each batch's product is made positive before averaging, so
    batches that pull a weight opposite ways add up instead of cancelling (compare :func:`snip_scores`).

    Raises:
        ValueError: for no calibration batches, or an unknown layer.
    """
    batches = _check_batches(batches, "taylor")
    selected = _select(model, layers)
    total = {name: torch.zeros(m.weight.shape, dtype=torch.float64) for name, m in selected.items()}
    for batch in batches:
        grads = weight_gradients(model, selected, batch, loss)
        for name, m in selected.items():
            total[name] += (_current(m) * grads[name]).abs().double()
    return {name: (t / len(batches)).float() for name, t in total.items()}


def snip_scores(model: nn.Module, batches: Sequence, *, layers: Iterable[str] | None = None,
                loss: Loss = lm_loss) -> dict[str, torch.Tensor]:
    """SNIP's connection sensitivity (Lee et al. 2019): |∂L/∂W ⊙ W| with ``L`` the mean loss over
    all the calibration batches, divided by its sum over the selected layers (the scores sum to one).

    Meant for an untrained network (at initialisation): the mask it chooses is trained from there.

    Raises:
        ValueError: for no calibration batches, or an unknown layer.
    """
    batches = _check_batches(batches, "snip")
    selected = _select(model, layers)
    grad = {name: torch.zeros(m.weight.shape, dtype=torch.float64) for name, m in selected.items()}
    for batch in batches:
        for name, g in weight_gradients(model, selected, batch, loss).items():
            grad[name] += g.double() / len(batches)
    scores = {name: (_current(m).double() * grad[name]).abs() for name, m in selected.items()}
    total = float(sum(s.sum() for s in scores.values()))
    return {name: (s / total if total > 0 else s).float() for name, s in scores.items()}


def _linear_layers(model: nn.Module, layers: Iterable[str] | None) -> dict[str, nn.Module]:
    if layers is None:
        selected = {name: m for name, m in _select(model, None).items() if isinstance(m, nn.Linear)}
        if not selected:
            raise ValueError("the wanda criterion scores nn.Linear layers, and the model has none")
        return selected
    selected = _select(model, layers)
    other = [name for name, m in selected.items() if not isinstance(m, nn.Linear)]
    if other:
        raise ValueError(f"the wanda criterion scores nn.Linear layers only (it weighs each input feature by "
                         f"its activation norm); {other[0]!r} is a {type(selected[other[0]]).__name__}")
    return selected


@torch.no_grad()
def wanda_scores(model: nn.Module, batches: Sequence, *, layers: Iterable[str] | None = None,
                 loss: Loss = lm_loss) -> dict[str, torch.Tensor]:
    """Wanda's scores (Sun et al. 2024): |W_ij| · ‖X_j‖₂ for each ``nn.Linear`` layer, where ‖X_j‖₂ is
    the L2 norm of input feature ``j`` over every token of every calibration batch (the batches run
    forward through ``loss(model, batch)``, whose value is not used). Compare them within each
    output row (``prune_by_scores(..., scope="row")``), as the paper does.

    Raises:
        ValueError: for no calibration batches, or a selected layer that is not an ``nn.Linear``.
    """
    batches = _check_batches(batches, "wanda")
    selected = _linear_layers(model, layers)
    squares = {name: torch.zeros(m.in_features, dtype=torch.float64) for name, m in selected.items()}

    def collect(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            x = inputs[0].detach()
            squares[name] += x.reshape(-1, x.shape[-1]).double().pow(2).sum(dim=0)  # (in_features,)
        return hook

    handles = [m.register_forward_hook(collect(name)) for name, m in selected.items()]
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            loss(model, batch)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return {name: (_current(m).abs().double() * squares[name].sqrt()[None, :]).float()
            for name, m in selected.items()}


def saliency(model: nn.Module, criterion: str, *, batches: Sequence | None = None,
             layers: Iterable[str] | None = None, loss: Loss = lm_loss, seed: int = 0) -> dict[str, torch.Tensor]:
    """Scores, by layer name, of one criterion of :data:`CRITERIA`: ``"magnitude"``, ``"random"``
    (seeded by ``seed``), ``"taylor"``, ``"snip"`` or ``"wanda"`` (the last three need ``batches``).
    Each tensor has its layer's weight shape; higher means keep. See the module's docstring for
    which layers each criterion scores when ``layers`` is None.

    Raises:
        ValueError: for an unknown criterion, a data criterion without batches, an unknown layer,
            or a model with no prunable layer.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    if criterion == "magnitude":
        return magnitude_scores(model, layers=layers)
    if criterion == "random":
        return random_scores(model, seed=seed, layers=layers)
    score = {"taylor": taylor_scores, "snip": snip_scores, "wanda": wanda_scores}[criterion]
    return score(model, batches, layers=layers, loss=loss)


def saliency_prune(model: nn.Module, target: float, *, criterion: str = "magnitude", scope: str | None = None,
                   batches: Sequence | None = None, layers: Iterable[str] | None = None, loss: Loss = lm_loss,
                   seed: int = 0) -> dict[str, float]:
    """Score the weights by ``criterion`` (:func:`saliency`) and prune the lowest to an exact sparsity
    (:func:`~scalingzip.nn.pruning.prune_by_scores`), in place.

    Args:
        target: fraction of the scored layers' weights pruned afterwards, in [0, 1).
        scope: ``"global"``, ``"layer"`` or ``"row"``; None: ``"row"`` for Wanda (as in the paper),
            ``"global"`` for the others.

    Returns:
        The sparsity of each pruned layer afterwards.

    Raises:
        ValueError: as :func:`saliency` and :func:`~scalingzip.nn.pruning.prune_by_scores` do.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    _check_sparsity(target)  # before the scores, which may take a while
    scores = saliency(model, criterion, batches=batches, layers=layers, loss=loss, seed=seed)
    if scope is None:
        scope = "row" if criterion == "wanda" else "global"
    return prune_by_scores(model, scores, target, scope=scope)
