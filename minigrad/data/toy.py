"""Toy 2-D classification data sets, generated on the spot (nothing is downloaded).

Every generator has the form ``make_x(n_samples, noise=..., seed=...) -> (X, y)``:

- ``X`` has shape ``(n_samples, n_features)`` and minigrad's default float dtype
  (``mg.get_default_dtype()``, float32 unless changed);
- ``y`` has shape ``(n_samples,)``, dtype int64, labels ``0 .. n_classes-1``;
- ``noise`` is the standard deviation of Gaussian noise added to every
  coordinate (for ``make_blobs``: the spread of each cluster);
- the same ``seed`` gives the same arrays; ``seed=None`` draws from minigrad's
  global generator, so ``mg.manual_seed(s)`` makes it reproducible too.

Samples are split over the classes as evenly as possible (the first
``n_samples % n_classes`` classes get one more) and the rows are shuffled, so any
prefix of the data set contains every class.
"""
import math

import numpy as np

from ._checks import check_int, check_real, make_generator


def _default_dtype():
    from ..config import get_default_dtype

    return np.dtype(get_default_dtype())


def _class_sizes(n_samples, n_classes):
    """How many samples each class gets: as even as possible."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _finish(points, labels, noise, gen):
    """Add coordinate noise, shuffle the rows, cast to the default dtype."""
    X = np.concatenate(points, axis=0)
    y = np.concatenate(labels).astype(np.int64)
    if noise > 0:
        X = X + gen.normal(0.0, noise, size=X.shape)
    order = gen.permutation(len(y))
    X = X[order].astype(_default_dtype())
    if not np.isfinite(X).all():
        raise ValueError(f"noise={noise} is too large: the points overflow "
                         f"{X.dtype}")
    return X, y[order]


def _start(n_samples, noise, seed, n_classes, noise_name="noise"):
    n_classes = check_int("n_classes", n_classes, 2)
    n = check_int("n_samples", n_samples, 1)
    if n > 2**31:  # numpy would fail deep inside ("array is too big")
        raise ValueError(f"n_samples must be <= 2**31 for an in-memory toy data "
                         f"set, got {n}")
    if n < n_classes:
        raise ValueError(
            f"n_samples must be at least the number of classes ({n_classes}) "
            f"so that every class appears, got {n}"
        )
    noise = check_real(noise_name, noise, minimum=0.0)
    return n, noise, make_generator(seed), n_classes


def make_moons(n_samples=100, noise=0.1, seed=None):
    """Two interleaving half circles, labels 0 (upper) and 1 (lower).

    Upper moon: ``(cos t, sin t)``; lower moon: ``(1 - cos t, 1/2 - sin t)``,
    with ``t`` evenly spaced in ``[0, pi]``.
    """
    n, noise, gen, _ = _start(n_samples, noise, seed, 2)
    n_upper, n_lower = _class_sizes(n, 2)
    t_up = np.linspace(0.0, math.pi, n_upper)
    t_low = np.linspace(0.0, math.pi, n_lower)
    upper = np.stack([np.cos(t_up), np.sin(t_up)], axis=1)
    lower = np.stack([1.0 - np.cos(t_low), 0.5 - np.sin(t_low)], axis=1)
    labels = [np.zeros(n_upper), np.ones(n_lower)]
    return _finish([upper, lower], labels, noise, gen)


def make_circles(n_samples=100, noise=0.05, factor=0.5, n_classes=2, seed=None):
    """Concentric circles, one per class; class 0 is the outer one (radius 1).

    Radii are evenly spaced from 1 down to ``factor`` (0 < factor < 1), so with
    the defaults the inner circle has radius 0.5. Points are evenly spaced in
    angle on each circle.
    """
    n, noise, gen, n_classes = _start(n_samples, noise, seed, n_classes)
    factor = check_real("factor", factor, minimum=0.0, strict=True)
    if factor >= 1.0:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    radii = np.linspace(1.0, factor, n_classes)
    points, labels = [], []
    for k, m in enumerate(_class_sizes(n, n_classes)):
        angle = np.linspace(0.0, 2 * math.pi, m, endpoint=False)
        points.append(radii[k] * np.stack([np.cos(angle), np.sin(angle)], axis=1))
        labels.append(np.full(m, k))
    return _finish(points, labels, noise, gen)


def make_spirals(n_samples=300, noise=0.05, n_arms=3, turns=1.0, seed=None,
                 n_classes=None):
    """``n_arms`` interleaved spiral arms, one class per arm (``n_classes`` is
    accepted as another name for ``n_arms``).

    Arm ``k`` is ``r * (cos a, sin a)`` with ``r`` evenly spaced in
    ``[0.05, 1]`` and angle ``a = 2*pi*k/n_arms + 2*pi*turns*r``: the arms start
    evenly rotated around the origin and each winds ``turns`` times.
    """
    if n_classes is not None:
        if n_arms not in (3, n_classes):
            raise ValueError(f"n_arms={n_arms} and n_classes={n_classes} disagree; "
                             "give one of them")
        n_arms = n_classes
    n, noise, gen, n_arms = _start(n_samples, noise, seed, n_arms)
    turns = check_real("turns", turns, minimum=0.0, strict=True)
    points, labels = [], []
    for k, m in enumerate(_class_sizes(n, n_arms)):
        r = np.linspace(0.05, 1.0, m)
        a = 2 * math.pi * (k / n_arms + turns * r)
        points.append(r[:, None] * np.stack([np.cos(a), np.sin(a)], axis=1))
        labels.append(np.full(m, k))
    return _finish(points, labels, noise, gen)


def make_xor(n_samples=200, noise=0.0, seed=None):
    """The XOR problem: points uniform in the square ``[-1, 1]^2``, label 1 where
    the two coordinates have different signs and 0 where they agree.

    The label is taken before the noise is added, so ``noise > 0`` blurs the
    boundary along the axes. Not linearly separable: a linear model gets ~50%.
    """
    n, noise, gen, _ = _start(n_samples, noise, seed, 2)
    # rejection-free: draw per class, so the classes are balanced as promised
    points, labels = [], []
    for k, m in enumerate(_class_sizes(n, 2)):
        p = gen.uniform(0.0, 1.0, size=(m, 2))
        quadrant = gen.integers(0, 2, size=m)  # two quadrants per class
        sign_x = np.where(quadrant == 0, 1.0, -1.0)
        sign_y = sign_x if k == 0 else -sign_x
        points.append(p * np.stack([sign_x, sign_y], axis=1))
        labels.append(np.full(m, k))
    return _finish(points, labels, noise, gen)


def make_blobs(n_samples=100, noise=1.0, centers=3, n_features=2,
               center_box=(-5.0, 5.0), seed=None):
    """Gaussian clusters, one class per center; ``noise`` is each cluster's std.

    ``centers`` is either the number of clusters (their centers are then drawn
    uniformly from ``center_box`` in every coordinate) or an array of shape
    ``(n_classes, n_features)`` giving them explicitly (``n_features`` is then
    taken from it).
    """
    if np.isscalar(centers):
        n_classes = check_int("centers", centers, 2)
        n_features = check_int("n_features", n_features, 1)
        center_array = None
    else:
        try:
            center_array = np.asarray(centers)
        except ValueError:  # ragged nested lists
            raise ValueError(f"centers must be an int or an array of shape "
                             f"(n_classes, n_features), got {centers!r}") from None
        if center_array.ndim != 2 or not np.issubdtype(center_array.dtype, np.number) \
                or np.iscomplexobj(center_array):
            raise ValueError(
                "centers must be an int or a real array of shape "
                f"(n_classes, n_features), got {center_array.dtype} array of "
                f"shape {center_array.shape}"
            )
        if not np.all(np.isfinite(center_array)):
            raise ValueError("centers must be finite")
        n_classes, n_features = center_array.shape
    n, noise, gen, n_classes = _start(n_samples, noise, seed, n_classes)
    if center_array is None:
        if not isinstance(center_box, (tuple, list)) or len(center_box) != 2:
            raise ValueError(f"center_box must be a pair (low, high), got "
                             f"{center_box!r}")
        low = check_real("center_box[0]", center_box[0])
        high = check_real("center_box[1]", center_box[1])
        if not low < high:
            raise ValueError(f"center_box must be (low, high) with low < high, "
                             f"got {center_box}")
        center_array = gen.uniform(low, high, size=(n_classes, n_features))
    center_array = center_array.astype(np.float64)
    points, labels = [], []
    for k, m in enumerate(_class_sizes(n, n_classes)):
        points.append(np.repeat(center_array[k][None, :], m, axis=0))
        labels.append(np.full(m, k))
    return _finish(points, labels, noise, gen)
