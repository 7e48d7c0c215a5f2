"""Training, evaluation, metrics and cost accounting."""

__all__: list = []
