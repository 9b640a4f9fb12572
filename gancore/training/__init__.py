"""Training: ``keras.Model`` subclasses with ``train_step`` (run by ``fit()``) and their callbacks."""
