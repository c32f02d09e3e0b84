"""B.Ca backend: the business-card messenger's API and background worker."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bca")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
