"""Course data: MNIST-style arrays fetched into a verified local cache, tf.data pipelines, image folders.

``load_mnist`` and the resolver need no TensorFlow; ``gancore.data.arrays`` and ``gancore.data.folders`` do.
"""

from gancore.data.mnist import FASHION_CLASSES, MnistData, load_mnist
from gancore.data.sources import DataUnavailableError, ensure_dataset
from gancore.data.specs import DATASETS, DatasetSpec, get_spec

__all__ = ["DATASETS", "FASHION_CLASSES", "DataUnavailableError", "DatasetSpec", "MnistData", "ensure_dataset",
           "get_spec", "load_mnist"]
