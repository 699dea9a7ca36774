"""Federated learning runtime: the training task, data sources and default models.

Importing this package is light; TensorFlow loads inside the task when it runs.
"""
