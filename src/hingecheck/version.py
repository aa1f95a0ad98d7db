"""The installed version, in a module of its own so any stage can read it without importing the
package root (which would load the whole pipeline)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hingecheck")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+src"
