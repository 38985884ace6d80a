"""The package version, importable without importing any estimator."""

__version__ = "0.2.0.dev0"
