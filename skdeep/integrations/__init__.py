"""Optional extras built on skdeep's estimators.

Each submodule imports its heavy dependency (matplotlib, ...) only inside the
functions that need it, so importing skdeep never requires it.
"""
