"""Toy data sets, real ones (MNIST/Fashion-MNIST from IDX files, downloaded
only when asked; scikit-learn's bundled digits), and mini-batching.

    >>> from minigrad.data import make_spirals, DataLoader
    >>> X, y = make_spirals(300, noise=0.05, n_arms=3, seed=0)
    >>> for xb, yb in DataLoader(X, y, batch_size=32, seed=0):
    ...     pass
"""
from .idx import IDXError, read_idx, write_idx
from .loader import DataLoader
from .mnist import MNIST, FashionMNIST, load_digits, save_idx_dataset
from .toy import make_blobs, make_circles, make_moons, make_spirals, make_xor

__all__ = ["MNIST", "FashionMNIST", "load_digits", "save_idx_dataset",
           "read_idx", "write_idx", "IDXError", "DataLoader", "make_blobs",
           "make_circles", "make_moons", "make_spirals", "make_xor"]
