"""The package's version, in a module of its own so any stage can read it without importing the
package root (which would load the whole pipeline). It is the one place the version is written:
the build reads it from here (pyproject's [tool.hatch.version]), and `hingecheck --version`
needs no package metadata lookup (importlib.metadata costs ~80 ms of start-up)."""

__version__ = "0.1.0"
