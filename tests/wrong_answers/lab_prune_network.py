"""lab_prune_network: a plausible but wrong answer to question taylor_importance: it averages the
losses of all the batches first and takes the magnitude of one product, |W * dL/dW| with L the
mean loss, so two batches that pull a weight opposite ways cancel (this is SNIP's gradient, not
the Taylor importance's average of each batch's magnitude).

With one batch the two are the same, so the public test, which compares on the first calibration
batch, passes; the hidden tests compare over several batches (all eight of the model's, and three
on another network), where the gradients' signs differ from batch to batch, so the autograder
takes their points."""

QUESTION = "taylor_importance"
CODE = '''def taylor_importance(model, batches, layers):
    """Mean over batches of |W * dL_b/dW| for each named layer: float32 tensors, nats."""
    batches = list(batches)
    if not batches:
        raise ValueError("taylor_importance needs at least one calibration batch")
    weights = [model.get_submodule(name).weight for name in layers]
    loss = sum(lm_loss(model, batch) for batch in batches) / len(batches)
    grads = torch.autograd.grad(loss, weights)
    return {name: (w.detach() * g).abs() for name, w, g in zip(layers, weights, grads)}
'''
