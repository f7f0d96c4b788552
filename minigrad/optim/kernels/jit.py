"""Makes the rules' plain-Python element functions compilable (imports Numba).

Each rule file ends with its per-element math as plain Python and lists it in
``ELEMENT_FUNCTIONS``. Here every such function gets ``register_jitable``:
Numba then compiles the same source into whatever calls it -- the ``@njit``
CPU kernels (``cpu.py``) and the ``@cuda.jit`` GPU kernels (``cuda.py``).
(A ``cuda.jit(device=True)`` function could not be called from ``@njit``;
``register_jitable`` serves both.) ``import minigrad.optim`` never imports
this module.

``row_reader(Coefficients)`` is the only code that reads a coefficient table
by position: it turns row ``t`` into the rule's named tuple, whose fields
the element functions read by name (``c.beta1``). It is generated from the
rule's declaration, so the columns and the names cannot drift apart.
"""
from numba.core.extending import register_jitable

from .. import adagrad, adam, adamw, lamb, momentum, rmsprop, sgd

RULES = (sgd, momentum, adagrad, rmsprop, adam, adamw, lamb)

_registered = set()
for _rule in RULES:
    for _function in _rule.ELEMENT_FUNCTIONS:
        if _function not in _registered:  # shared ones (Adam's moments) once
            register_jitable(_function)
            _registered.add(_function)


def row_reader(coefficients):
    """A jitable ``read(table, t)`` returning ``coefficients(table[t, 0],
    table[t, 1], ...)``: row ``t`` as the rule's named tuple."""
    fields = ", ".join(f"table[t, {i}]" for i in range(len(coefficients._fields)))
    namespace = {"Coefficients": coefficients}
    exec(f"def read(table, t):\n    return Coefficients({fields})\n", namespace)
    return register_jitable(namespace["read"])


read_sgd = row_reader(sgd.Coefficients)
read_momentum = row_reader(momentum.Coefficients)
read_adagrad = row_reader(adagrad.Coefficients)
read_rmsprop = row_reader(rmsprop.Coefficients)
read_adam = row_reader(adam.Coefficients)
read_adamw = row_reader(adamw.Coefficients)
read_lamb = row_reader(lamb.Coefficients)
