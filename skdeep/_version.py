"""The package version, importable without importing any estimator."""

__version__ = "0.1.0.dev0"
