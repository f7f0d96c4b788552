"""Mini-batches of an in-memory data set, with a seeded, resumable shuffle."""
import numpy as np

from ._checks import check_int, make_generator

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _as_array(name, value):
    """NumPy view of an array-like or a minigrad Tensor (its ``.data``)."""
    data = getattr(value, "data", value) if not isinstance(value, np.ndarray) \
        else value
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}: "
                        f"{err}") from None
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (one row per "
                         f"sample), got a scalar")
    return array


def _check_features(X):
    if X.dtype not in _FLOATS:
        raise TypeError(
            f"X must be float32 or float64, got {X.dtype}; convert it first, "
            "e.g. X.astype(np.float32)"
        )


def _check_targets(y):
    ok = y.dtype in _FLOATS or (
        np.issubdtype(y.dtype, np.integer) and y.dtype != np.dtype(np.uint64))
    if not ok:
        raise TypeError(
            f"y must hold integer class labels or float32/float64 targets, got "
            f"{y.dtype}"
        )


class DataLoader:
    """Iterate over ``(X_batch, y_batch)`` pairs of Tensors, ``batch_size`` rows
    at a time; each ``for`` loop over the loader is one epoch.

    - ``shuffle=True`` visits the rows in a fresh random order every epoch; the
      order of epoch ``e`` is ``np.random.default_rng([seed, e]).permutation(n)``,
      so it depends only on ``seed`` and ``e``. ``seed=None`` draws the seed from
      minigrad's generator (reproducible after ``mg.manual_seed``).
    - The last batch holds the leftover rows (``n % batch_size``) unless
      ``drop_last=True``; ``len(loader)`` is the number of batches per epoch.
    - ``state_dict()`` records the seed, the epoch and how many batches of it
      have been yielded; after ``load_state_dict`` the next ``for`` loop resumes
      exactly there, so an interrupted training run sees the same batches as an
      uninterrupted one. (Like PyTorch, leaving a ``for`` loop early and starting
      a new one begins the next epoch.)

    ``X`` must be float32/float64 (one row per sample); ``y`` integer labels or
    float targets with the same number of rows. Batches are copies: changing
    them does not change the data set.

    Data-parallel training (``minigrad.distributed``): with ``world_size=N``
    and ``rank=r`` each step's *global* batch is the next ``batch_size * N``
    indices of the epoch's permutation -- the very rows one loader with
    ``batch_size * N`` and the same seed would yield -- cut into ``N`` equal
    contiguous slices, and this loader yields slice ``r``. So N ranks with
    batch ``b`` see exactly the batches of one process with batch ``b * N``.
    Every rank must take the same number of equal steps (the gradient mean
    of unequal slices is not the global batch's mean), so with ``N > 1`` a
    last global batch shorter than ``batch_size * N`` is always left out, as
    ``drop_last=True`` would, and a data set smaller than one global batch
    raises ``ValueError``. PyTorch's ``DistributedSampler`` instead deals
    rows round-robin and pads the last batch with repeated rows.
    """

    def __init__(self, X, y, batch_size, shuffle=True, seed=None, drop_last=False,
                 *, rank=0, world_size=1):
        X, y = _as_array("X", X), _as_array("y", y)
        _check_features(X)
        _check_targets(y)
        if len(X) != len(y):
            raise ValueError(f"X and y must have the same number of rows, got "
                             f"{len(X)} and {len(y)}")
        if len(X) == 0:
            raise ValueError("cannot make a DataLoader over an empty data set "
                             "(X has 0 rows)")
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.world_size = check_int("world_size", world_size, 1)
        self.rank = check_int("rank", rank, 0)
        if self.rank >= self.world_size:
            raise ValueError(f"rank must be < world_size = {self.world_size} "
                             f"(ranks count from 0), got {self.rank}")
        if len(X) < self.batch_size * self.world_size and self.world_size > 1:
            raise ValueError(
                f"the data set has {len(X)} rows, fewer than one global batch "
                f"of batch_size * world_size = {self.batch_size} * "
                f"{self.world_size} = {self.batch_size * self.world_size}; "
                "use a smaller batch_size or fewer processes")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise TypeError(f"drop_last must be True or False, got {drop_last!r}")
        if drop_last and len(X) < self.batch_size:
            raise ValueError(
                f"drop_last=True with batch_size={self.batch_size} > "
                f"{len(X)} rows would yield no batch at all"
            )
        if seed is None:
            seed = int(make_generator(None).integers(2**63))
        self.seed = check_int("seed", seed, 0)
        self.X, self.y = X, y
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self._epoch = 0  # the epoch the next batch comes from
        self._batch = 0  # index of the next batch within that epoch
        self._resume = True  # honour (_epoch, _batch) at the next loop

    def __len__(self):
        full, rest = divmod(len(self.X), self.batch_size * self.world_size)
        return full + (rest > 0 and not self.drop_last and self.world_size == 1)

    def order(self, epoch):
        """The row order of ``epoch`` (a permutation, or 0..n-1 if not shuffled)."""
        n = len(self.X)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def __iter__(self):
        from ..tensor import Tensor

        if not self._resume and self._batch > 0:  # an earlier loop is unfinished
            self._epoch, self._batch = self._epoch + 1, 0
        self._resume = False
        order = self.order(self._epoch)
        try:
            while self._batch < len(self):
                # this rank's slice of the next global batch
                start = (self._batch * self.world_size + self.rank) * \
                    self.batch_size
                rows = order[start:start + self.batch_size]
                self._batch += 1
                yield Tensor(self.X[rows]), Tensor(self.y[rows])
        except GeneratorExit:  # the loop was left early: next loop = next epoch
            if self._batch > 0:
                self._epoch, self._batch = self._epoch + 1, 0
            self._resume = True
            raise
        self._epoch, self._batch, self._resume = self._epoch + 1, 0, True

    @property
    def epoch(self):
        """The epoch the next batch belongs to (0 before the first loop)."""
        return self._epoch

    def state_dict(self):
        """Everything that fixes the batch order from here on: ``seed``,
        ``epoch``, ``batch`` (batches of that epoch already yielded), and, to
        refuse a resume that could not be exact, ``shuffle``, ``batch_size`` and
        ``n_samples`` (and ``world_size`` when it is not 1; the rank is left
        out, so every rank can resume from the state rank 0 saved). Plain
        numbers, saveable with ``mg.save``."""
        state = {"seed": self.seed, "epoch": self._epoch, "batch": self._batch,
                 "shuffle": self.shuffle, "batch_size": self.batch_size,
                 "n_samples": len(self.X)}
        if self.world_size != 1:
            state["world_size"] = self.world_size
        return state

    def load_state_dict(self, state):
        """Restore a ``state_dict()``; the next ``for`` loop resumes there.

        Checks everything first and changes nothing on a bad state.
        """
        self.seed, self._epoch, self._batch = self._checked(state)
        self._resume = True

    def check_state_dict(self, state):
        """Raise what ``load_state_dict(state)`` would raise, and change
        nothing. ``mg.restore`` checks every object this way first."""
        self._checked(state)

    def _checked(self, state):
        """``(seed, epoch, batch)`` of ``state`` once everything is checked."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, got {type(state).__name__}")
        expected = {"seed", "epoch", "batch", "shuffle", "batch_size", "n_samples"}
        if "world_size" in state:  # saved by a sharded loader
            expected.add("world_size")
        if set(state) != expected:
            raise KeyError(
                f"DataLoader state must have keys {sorted(expected)}; missing "
                f"{sorted(expected - set(state))}, unexpected "
                f"{sorted(set(state) - expected)}"
            )
        seed = check_int("state['seed']", state["seed"], 0)
        epoch = check_int("state['epoch']", state["epoch"], 0)
        batch = check_int("state['batch']", state["batch"], 0)
        if batch > len(self):
            raise ValueError(f"state['batch'] = {batch} but an epoch has only "
                             f"{len(self)} batches")
        saved = {"shuffle": bool(state["shuffle"]), "batch_size": state["batch_size"],
                 "n_samples": state["n_samples"],
                 "world_size": state.get("world_size", 1)}
        here = {"shuffle": self.shuffle, "batch_size": self.batch_size,
                "n_samples": len(self.X), "world_size": self.world_size}
        for key in saved:  # another batching would give other batches
            if saved[key] != here[key]:
                raise ValueError(f"state was saved with {key}={saved[key]} but this "
                                 f"loader has {key}={here[key]}")
        return seed, epoch, batch

    def __repr__(self):
        shard = (f", rank={self.rank}, world_size={self.world_size}"
                 if self.world_size > 1 else "")
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, seed={self.seed}{shard})")
