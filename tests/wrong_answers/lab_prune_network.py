"""lab_prune_network: a plausible but wrong answer to question magnitude_masks: it finds the k-th
smallest magnitude with ``torch.kthvalue`` and keeps the weights strictly above it, so every weight
that ties with that threshold is pruned too, and more than ``round(sparsity * n)`` go.

The trained network's magnitudes do not tie at the thresholds the public test uses, so its masks
equal the package's there and the public test passes; the hidden test on a network whose weights
share magnitudes finds too many weights pruned, so the autograder takes that test's point."""

QUESTION = "magnitude_masks"
CODE = '''def magnitude_masks(model, sparsity):
    """Global magnitude masks of the layers in LAYERS: exactly round(sparsity * n) zeros."""
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1); got {sparsity}")
    weights = {name: model.get_submodule(name).weight.detach() for name in LAYERS}
    magnitudes = torch.cat([w.abs().reshape(-1) for w in weights.values()])
    k = round(sparsity * magnitudes.numel())
    if k == 0:
        return {name: torch.ones_like(w) for name, w in weights.items()}
    threshold = torch.kthvalue(magnitudes, k).values  # the k-th smallest magnitude
    return {name: (w.abs() > threshold).float() for name, w in weights.items()}
'''
