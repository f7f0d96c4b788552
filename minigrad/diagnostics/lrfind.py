"""The learning-rate range test (Smith 2017, arXiv:1506.01186, section 3.3;
popularised by fast.ai as ``lr_find``).

One short run in which the learning rate grows exponentially, step ``i`` of
``N`` using::

    lr_i = start_lr * (end_lr / start_lr) ** (i / (N - 1))

The per-batch loss is noisy, so it is smoothed with a bias-corrected
exponential moving average (``s_i = beta s_{i-1} + (1 - beta) loss_i``,
shown as ``s_i / (1 - beta**(i+1))``). The run stops early once the
smoothed loss exceeds ``diverge`` times its minimum so far (or a loss is
not finite): past that point the lr only blows the model up.

Two readings of the curve (loss against lr on a log axis):

* ``suggestion``: the lr where the smoothed loss falls fastest, i.e. the
  most negative slope d s / d log(lr) before the minimum -- fast.ai's
  "steepest" rule, with the slope taken over a few points each side;
* ``min_lr``: the lr of the smoothed minimum. Training at it is usually too
  much (the loss is about to rise); a tenth of it is fast.ai's other rule.

Afterwards everything is put back as it was, bit for bit: the model's
parameters and buffers, the optimizer's state and hyperparameters (also
LAMB's trust-ratio reports), the gradients, minigrad's random generator
(``Dropout`` draws from it) and, when the batches come from a
``DataLoader``, its position. Running the test changes nothing.
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["lr_find", "LRFindResult"]


@dataclass
class LRFindResult:
    """What ``lr_find`` saw: one entry per step it ran."""
    lrs: np.ndarray          # the lr of each step
    losses: np.ndarray       # the batch loss of each step (before the step)
    smoothed: np.ndarray     # bias-corrected EMA of ``losses``
    suggestion: float        # lr of the steepest descent of ``smoothed``
    min_lr: float            # lr of the smallest ``smoothed``
    diverged: bool           # stopped early: smoothed > diverge x its minimum

    def __str__(self):
        end = "stopped early (loss diverged)" if self.diverged else \
            "ran to the end"
        return (f"{len(self.lrs)} steps, lr {self.lrs[0]:.3g}.."
                f"{self.lrs[-1]:.3g}, {end}; suggested lr {self.suggestion:.3g}"
                f" (steepest descent), minimum at lr {self.min_lr:.3g}")

    def plot(self, path=None, title=None):
        """Loss against lr (log axis), the suggestion and minimum marked;
        returns the matplotlib Figure (saved to ``path`` if given)."""
        from .plots import plot_lrfind

        return plot_lrfind({"": self}, path, title=title)


def lr_schedule(start_lr, end_lr, steps):
    """The ``steps`` learning rates from ``start_lr`` to ``end_lr``,
    evenly spaced on a log scale."""
    if not 0 < start_lr < end_lr < float("inf"):
        raise ValueError(f"need 0 < start_lr < end_lr (finite), got "
                         f"start_lr={start_lr!r}, end_lr={end_lr!r}")
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    return start_lr * (end_lr / start_lr) ** (np.arange(steps) / (steps - 1))


def smooth(losses, beta):
    """Bias-corrected exponential moving average of ``losses``."""
    out, avg = np.empty(len(losses)), 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def steepest(lrs, smoothed, width, start=None):
    """The lr where ``smoothed`` falls fastest against log(lr), looking only
    at the descent (up to the minimum) and from point ``start`` on (default
    ``width``; ``lr_find`` skips the moving average's first ``1 / (1 -
    beta)`` points, an average of too few batches whose slope is noise).

    The slope at point ``i`` is a difference over ``width`` points on each
    side, ``(s[i+w] - s[i-w]) / (log lr[i+w] - log lr[i-w])`` (the right
    end capped at the minimum): a neighbour-to-neighbour slope of a noisy
    curve mostly measures the noise.
    """
    log_lr = np.log(lrs)
    low = int(np.argmin(smoothed))
    points = np.arange(max(width, start or 0), low + 1)
    if points.size == 0:
        return float(lrs[low])
    left, right = points - width, np.minimum(points + width, low)
    ahead = right > left
    if not ahead.any():
        return float(lrs[low])
    points, left, right = points[ahead], left[ahead], right[ahead]
    slope = (smoothed[right] - smoothed[left]) / (log_lr[right] - log_lr[left])
    return float(lrs[points[int(np.argmin(slope))]])


def lr_find(model, optimizer, batches, loss_fn=None, start_lr=1e-5,
            end_lr=10.0, steps=300, beta=0.98, diverge=4.0, width=0.05):
    """Run the range test; returns an ``LRFindResult`` and changes nothing.

    ``batches``: an iterable of ``(inputs, targets)`` (a ``DataLoader``),
    started again when exhausted; ``loss_fn(model(inputs), targets)``
    (default ``F.cross_entropy``). Every param group gets the same lr at
    each step. ``beta``: the smoothing (0.98, as fast.ai). ``diverge``:
    stop once the smoothed loss exceeds this many times its minimum.
    ``width``: the slope of the smoothed curve is taken over this fraction
    of ``steps`` on each side (``steepest``). The model stays in the mode
    it is in (``train()`` or ``eval()``).
    """
    from ..nn import functional as F

    lrs = lr_schedule(float(start_lr), float(end_lr), steps)
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    if not diverge > 1:
        raise ValueError(f"diverge must be > 1, got {diverge!r}")
    if not 0 < width < 0.5:
        raise ValueError(f"width must be in (0, 0.5), got {width!r}")
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    saved = _save(model, optimizer, batches)
    try:
        losses = _run(model, optimizer, batches, loss_fn, lrs, beta, diverge)
    finally:
        _restore(saved, model, optimizer, batches)
    losses = np.array(losses, dtype=np.float64)
    finite = np.isfinite(losses)
    diverged = len(losses) < steps or not finite.all()
    n = int(np.argmin(finite)) if not finite.all() else len(losses)
    if n == 0:
        raise FloatingPointError(f"the loss at the first lr ({lrs[0]:g}) is "
                                 "not finite; start lower or check the model")
    kept, smoothed = lrs[:n], smooth(losses[:n], beta)
    width = max(1, int(width * steps))
    return LRFindResult(lrs=lrs[:len(losses)], losses=losses,
                        smoothed=smoothed, suggestion=steepest(
                            kept, smoothed, width, round(1 / (1 - beta))),
                        min_lr=float(kept[int(np.argmin(smoothed))]),
                        diverged=diverged)


def _run(model, optimizer, batches, loss_fn, lrs, beta, diverge):
    losses, avg, best = [], 0.0, np.inf
    iterator = iter(batches)
    for i, lr in enumerate(lrs):
        try:
            xb, yb = next(iterator)
        except StopIteration:
            iterator = iter(batches)
            xb, yb = next(iterator)
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        loss = loss_fn(model(xb), yb)
        value = float(loss.item())
        losses.append(value)
        if not np.isfinite(value):
            break
        avg = beta * avg + (1 - beta) * value
        smoothed = avg / (1 - beta ** (i + 1))
        if smoothed > diverge * best:
            break
        best = min(best, smoothed)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def _save(model, optimizer, batches):
    """Copies of everything ``_run`` may change."""
    from ..config import rng

    params = [p for g in optimizer.param_groups for p in g["params"]]
    opt_state = optimizer.state_dict()
    live = optimizer.state
    for pid, p in enumerate(params):  # the reports load_state_dict accepts
        if pid in opt_state["state"]:
            for name in getattr(optimizer, "diagnostics", ()):
                if name in live[p]:
                    opt_state["state"][pid][name] = live[p][name]
    return {
        "model": {k: np.array(v, copy=True)
                  for k, v in model.state_dict().items()},
        "optimizer": opt_state,
        "counters": (optimizer.kernel_calls, optimizer.skipped_steps),
        "grads": [(p, None if p.grad is None else p.grad.copy())
                  for p in list(model.parameters()) + params],
        "modes": [(m, m.training) for m in model.modules()],
        "rng": rng().bit_generator.state,
        "loader": batches.state_dict() if callable(
            getattr(batches, "load_state_dict", None)) else None,
    }


def _restore(saved, model, optimizer, batches):
    from ..config import rng

    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    optimizer.kernel_calls, optimizer.skipped_steps = saved["counters"]
    for p, grad in saved["grads"]:
        p.grad = grad
    for module, mode in saved["modes"]:
        module.training = mode
    rng().bit_generator.state = saved["rng"]
    if saved["loader"] is not None:
        batches.load_state_dict(saved["loader"])
