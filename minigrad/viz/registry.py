"""The seven optimizers by their command-line names, in the order of the story.

One table shared by ``minigrad compare``, ``minigrad paths`` and the examples,
so that a name means the same class everywhere and the learning rates we
recommend live in one place.
"""
from importlib import import_module

# command-line name -> class name in minigrad.optim
OPTIMIZERS = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
    "lamb": "LAMB",
}

# Learning rates for training a small MLP on the toy datasets (minigrad
# compare / train). The classes' own defaults follow PyTorch, which are tuned
# for big models and far too timid here (SGD's 1e-3 barely moves a spiral MLP
# in a few hundred steps); these were picked by a small sweep on spirals.
TRAINING_LRS = {
    "sgd": 0.3,
    "momentum": 0.3,
    "adagrad": 0.1,
    "rmsprop": 0.01,
    "adam": 0.01,
    "adamw": 0.01,
    "lamb": 0.01,
}


def optimizer_class(name):
    """Return the minigrad.optim class for a command-line name ("adam")."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return getattr(import_module("minigrad.optim"), OPTIMIZERS[key])


def display_name(name):
    """The class name used in tables and legends ("adamw" -> "AdamW")."""
    return OPTIMIZERS.get(name.lower(), name)
