"""Learned components: features from records (rule cues and structure included), models
with ``fit``/``predict_proba``, thread-grouped cross-validation, and training.

Inference (``analyzer.learn.models`` and ``analyzer.learn.apply``) needs numpy only; the
training and cross-validation code (``train``, ``cv``) also needs scikit-learn.
"""
