"""Toy data sets and mini-batching, all in memory (nothing is downloaded).

    >>> from minigrad.data import make_spirals, DataLoader
    >>> X, y = make_spirals(300, noise=0.05, n_arms=3, seed=0)
    >>> for xb, yb in DataLoader(X, y, batch_size=32, seed=0):
    ...     pass
"""
from .loader import DataLoader
from .toy import make_blobs, make_circles, make_moons, make_spirals, make_xor

__all__ = ["DataLoader", "make_blobs", "make_circles", "make_moons",
           "make_spirals", "make_xor"]
