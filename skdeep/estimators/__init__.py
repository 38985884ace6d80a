"""Thin scikit-learn estimator classes over the training engine."""
