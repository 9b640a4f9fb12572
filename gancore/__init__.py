"""gancore: the tested library behind the GAN course notebooks.

Models, training loops (``keras.Model`` subclasses run with ``fit()``), data sources,
metrics, plots and the course runner. Each notebook in ``chapters/`` imports it.
"""

import os

# Quieten TensorFlow's C++ start-up chatter (CUDA probing on CPU machines); errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
