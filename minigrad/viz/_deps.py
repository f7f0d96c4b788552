"""Optional dependencies: import on demand, or explain how to install them."""
from importlib import import_module


class MissingDependencyError(ImportError):
    """An optional package is not installed; the message says how to get it."""


INSTALL = {
    "matplotlib": 'pip install matplotlib   (or: pip install "minigrad[viz]")',
    "graphviz": 'pip install graphviz   (or: pip install "minigrad[viz]")',
    "tqdm": "pip install tqdm",
}

# The Graphviz *program* (``dot``) is separate from the Python package.
DOT_INSTALL = (
    "Rendering a graph needs the Graphviz 'dot' program, which was not found "
    "on PATH. Install it with your system's package manager, e.g. "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS), `conda install -c conda-forge graphviz` or `winget install "
    "graphviz` (Windows). Without it the DOT text is still available as "
    "`graph.source`, or via `minigrad graph --format dot`.")


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program is needed to render, and is missing."""


def require(module, purpose):
    """Import ``module`` or raise MissingDependencyError saying how to get it."""
    try:
        return import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs the {top!r} package, which is not installed "
            f"({exc}). Install it with:  {INSTALL.get(top, 'pip install ' + top)}"
        ) from exc


_DIGRAPH_CLASS = []


def digraph_class():
    """A graphviz.Digraph whose rendering errors say how to install Graphviz
    (created on first use, so graphviz is imported only when drawing)."""
    if _DIGRAPH_CLASS:
        return _DIGRAPH_CLASS[0]
    graphviz = require("graphviz", "draw_graph")

    class MinigradDigraph(graphviz.Digraph):
        __doc__ = graphviz.Digraph.__doc__

        def pipe(self, *args, **kwargs):
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise GraphvizNotFoundError(DOT_INSTALL) from exc

        def render(self, *args, **kwargs):
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise GraphvizNotFoundError(DOT_INSTALL) from exc

        def _repr_svg_(self):
            # IPython asks for each format the mime bundle lacks: without
            # 'dot' there is no SVG, and None lets the text form show
            try:
                return self.pipe(format="svg", encoding="utf-8")
            except GraphvizNotFoundError:
                return None

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except GraphvizNotFoundError:
                return {"text/plain": DOT_INSTALL + "\n\n" + self.source}

    MinigradDigraph.__qualname__ = "MinigradDigraph"
    MinigradDigraph.__module__ = __name__
    _DIGRAPH_CLASS.append(MinigradDigraph)
    return MinigradDigraph
