"""Input validation and the one place that imports scikit-learn's private helpers."""
