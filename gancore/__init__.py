"""gancore: the tested library behind the GAN course notebooks.

Models, training loops (``keras.Model`` subclasses run with ``fit()``), data sources,
metrics, plots and the course runner. Each notebook in ``chapters/`` imports it.
Importing it changes nothing in the environment; the course runner quietens TensorFlow's
start-up chatter for the kernels it launches (``gancore.course.runner``).
"""

__version__ = "0.1.0"
