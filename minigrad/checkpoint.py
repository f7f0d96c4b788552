"""Saving and restoring a whole training run -- model, optimizer, scheduler,
data loader -- as one checkpoint, all or nothing.

``snapshot`` gathers the objects' ``state_dict()`` under the names you give
them; ``mg.save`` writes that dict to a file, ``mg.load`` reads it back, and
``restore`` puts it back into the objects:

    >>> import minigrad as mg
    >>> from minigrad import nn, optim
    >>> model = nn.MLP([2, 4, 1])
    >>> opt = optim.Adam(model.parameters(), lr=0.01)
    >>> state = mg.snapshot(model=model, optimizer=opt)
    >>> sorted(state)
    ['model', 'optimizer']
    >>> mg.restore(state, model=model, optimizer=opt)

Loading the parts one by one (``model.load_state_dict(ck["model"])``, then
``opt.load_state_dict(ck["optimizer"])``...) is not atomic: when the optimizer
part is wrong, the model has already been overwritten. ``restore`` first asks
every object to check its part (``check_state_dict``, the same checks its
``load_state_dict`` runs) and loads only when all of them passed. PyTorch has
no such function; there one calls ``load_state_dict`` per object.
"""
from collections.abc import Mapping


def snapshot(**objects):
    """``{name: obj.state_dict()}`` for every keyword argument.

    The result holds copies (arrays, numbers, lists), so training on does not
    change it; pass it to ``mg.save``. Add your own entries (settings, the
    epoch...) to the dict if you like, and ``restore(..., strict=False)``
    skips them later.

        ck = mg.snapshot(model=model, optimizer=opt, scheduler=sched,
                         loader=loader)
        mg.save(ck, "run.ckpt")
    """
    if not objects:
        raise TypeError("snapshot needs at least one object, e.g. "
                        "snapshot(model=model, optimizer=opt)")
    for name, obj in objects.items():
        if not callable(getattr(obj, "state_dict", None)):
            raise TypeError(f"snapshot: {name}={type(obj).__name__} has no "
                            "state_dict() method")
    return {name: obj.state_dict() for name, obj in objects.items()}


def restore(state, /, *, strict=True, **objects):
    """Load ``state[name]`` into each ``objects[name]``: all of them or none.

    Every part is checked by its object's ``check_state_dict`` before any
    object changes; the first problem raises (``KeyError``, ``ValueError`` or
    ``TypeError``, as the object's ``load_state_dict`` would, naming the part)
    and leaves every object as it was. Then the parts are loaded in the order
    the objects are given -- pass the optimizer before its scheduler, as
    ``snapshot`` users usually do, so the scheduler sets the final rates.

    A name with no entry in ``state`` raises ``KeyError``; so does an entry of
    ``state`` that no object takes, unless ``strict=False`` (for checkpoints
    that also hold settings such as ``"sizes"``). Objects cannot be called
    ``strict``.

        ck = mg.load("run.ckpt")
        mg.restore(ck, model=model, optimizer=opt, scheduler=sched,
                   loader=loader)
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"restore: state must be a dict (as mg.load returns), "
                        f"got {type(state).__name__}")
    if not objects:
        raise TypeError("restore needs at least one object, e.g. "
                        "restore(state, model=model, optimizer=opt)")
    for name, obj in objects.items():
        for method in ("check_state_dict", "load_state_dict"):
            if not callable(getattr(obj, method, None)):
                raise TypeError(f"restore: {name}={type(obj).__name__} has no "
                                f"{method}() method")
    missing = [name for name in objects if name not in state]
    unexpected = [str(key) for key in state if key not in objects]
    if missing or (strict and unexpected):
        raise KeyError(f"restore: the checkpoint has no entry for {missing} "
                       f"and entries no object takes: {unexpected} "
                       f"(its keys: {sorted(map(str, state))})")
    for name, obj in objects.items():
        try:
            obj.check_state_dict(state[name])
        except (KeyError, ValueError, TypeError) as exc:
            if type(exc) not in (KeyError, ValueError, TypeError):
                exc.add_note(f"raised by restore while checking {name!r}")
                raise
            raise type(exc)(f"restore: {name!r} does not fit: "
                            f"{_message(exc)}") from exc
    for name, obj in objects.items():
        obj.load_state_dict(state[name])


def _message(exc):
    # KeyError's str() is the repr of its argument; show the text itself
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) \
        else str(exc)
