"""VGG19 feature extractors for perceptual (content) losses: the real ImageNet weights when present, else a
clearly labelled random-init substitute (no internet here, so Keras cannot download the weights).

:func:`vgg19_features` truncates ``keras.applications.VGG19`` (no top) at a named layer, e.g. ``block4_conv4``
(16x16x512 at 128x128, 10,585,152 parameters: CartoonGAN's content/style layer in the book). Weights, in order:

1. an explicit ``weights_path`` or ``$GANCORE_VGG19_WEIGHTS`` (the Keras ``..._notop.h5`` file);
2. the Keras cache, ``~/.keras/models/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`` (``$KERAS_HOME``);
3. Keras' own download of that file (hash-checked; skipped with ``GANCORE_OFFLINE=1``);
4. otherwise **random He-normal init** (seeded, frozen) of the same layers, optionally narrower
   (``fallback_width``): a multi-scale bank of random ReLU filters. It keeps spatial structure but has no
   ImageNet semantics, so a "content loss" in its space is closer to a blurred structural L1 than to the
   perceptual loss of the papers. He init keeps the activations at the input's scale through the 12 ReLU
   layers (Glorot would shrink them about 2x per layer).

:func:`to_vgg_input` maps [-1, 1] RGB images to what the network expects: ``preprocess_input`` (RGB -> BGR and
ImageNet mean subtraction on 0-255 values) for the real weights, as the Keras docs require; the book fed [-1, 1]
images unprocessed (``preprocess=False`` reproduces that).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf
from keras import layers

from gancore.models import pretrained

VGG19_NOTOP_FILE = pretrained.IMAGENET_NOTOP["vgg19"][0]
# (block, convs, filters) of VGG19's convolutional part
VGG19_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


@dataclass
class VGGFeatures:
    """A frozen feature extractor and what it is: ``pretrained`` is True only with the real ImageNet weights."""

    model: keras.Model
    layer: str
    pretrained: bool
    description: str
    preprocess: bool = True

    @property
    def channels(self) -> int:
        return int(self.model.output.shape[-1])

    def __call__(self, images_tanh: tf.Tensor) -> tf.Tensor:
        """Features of [-1, 1] RGB images (inference mode, frozen)."""
        return self.model(to_vgg_input(images_tanh, self.preprocess), training=False)


def to_vgg_input(images_tanh, preprocess: bool = True) -> tf.Tensor:
    """[-1, 1] RGB -> Keras VGG input: 0-255, RGB -> BGR, minus the ImageNet BGR means (``preprocess_input``,
    'caffe' mode). ``preprocess=False`` passes the [-1, 1] values through unchanged, as the book did."""
    x = tf.cast(images_tanh, tf.float32)
    if not preprocess:
        return x
    x = (x + 1.0) * 127.5
    return x[..., ::-1] - tf.constant(IMAGENET_BGR_MEAN, tf.float32)


def find_vgg19_weights(weights_path: str | Path | None = None, download: bool = True) -> Path | None:
    """The VGG19 no-top weights file: an explicit path, $GANCORE_VGG19_WEIGHTS, the Keras cache, else Keras'
    checked download (:func:`gancore.models.pretrained.imagenet_weights`); None when none of them works."""
    return pretrained.imagenet_weights("vgg19", weights_path, download=download)


def random_vgg19_trunk(layer: str, input_shape: tuple = (None, None, 3), width: float = 1.0,
                       seed: int = 0) -> keras.Model:
    """VGG19's layers (Keras' names) up to ``layer`` (a convolution or a pooling layer), hidden channels scaled by
    ``width``, He-normal kernels (one seed per layer) and zero biases: a random network whose activations neither
    die out nor blow up with depth. Raises ValueError, listing the layers, for a name VGG19 does not have."""
    image = keras.Input(input_shape, name="image")
    x, names = image, []
    for block, convs, filters in VGG19_BLOCKS:
        for conv in range(1, convs + 1):
            name = f"block{block}_conv{conv}"
            x = layers.Conv2D(max(1, round(filters * width)), 3, padding="same", activation="relu", name=name,
                              kernel_initializer=keras.initializers.HeNormal(seed=seed + 10 * block + conv))(x)
            names.append(name)
            if name == layer:
                return keras.Model(image, x, name=f"vgg19_{layer}_random")
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        names.append(f"block{block}_pool")
        if names[-1] == layer:
            return keras.Model(image, x, name=f"vgg19_{layer}_random")
    raise ValueError(f"VGG19 has no layer {layer!r}; its layers: {', '.join(names)}")


def vgg19_features(image_size: int, layer: str = "block4_conv4", weights: str = "auto",
                   weights_path: str | Path | None = None, fallback_width: float = 1.0, seed: int = 0,
                   preprocess: bool | None = None) -> VGGFeatures:
    """A frozen VGG19 truncated at ``layer`` for ``image_size`` x ``image_size`` RGB inputs in [-1, 1].

    ``weights``: ``"auto"`` (the real ImageNet weights if found, else the random substitute), ``"imagenet"``
    (the real weights or FileNotFoundError) or ``"random"`` (always the substitute). ``fallback_width`` narrows
    the substitute only (the real weights fix every width). ``preprocess`` (default: only for the real weights)
    applies ``preprocess_input``; the substitute has no ImageNet statistics to match, so by default it reads the
    [-1, 1] images directly, as the book fed its VGG, which keeps its features at the images' scale."""
    if weights not in ("auto", "imagenet", "random"):
        raise ValueError(f"weights must be 'auto', 'imagenet' or 'random', got {weights!r}")
    shape = (image_size, image_size, 3)
    found = None if weights == "random" else find_vgg19_weights(weights_path)
    if weights == "imagenet" and found is None:
        raise FileNotFoundError(f"No VGG19 ImageNet weights ({VGG19_NOTOP_FILE}) on this machine")
    if found is not None:
        full = keras.applications.VGG19(include_top=False, weights=str(found), input_shape=shape)
        model = keras.Model(full.input, full.get_layer(layer).output, name=f"vgg19_{layer}")
        description = f"VGG19 {layer}, real ImageNet weights from {found}"
        pretrained = True
    else:
        model = random_vgg19_trunk(layer, shape, fallback_width, seed)
        description = (f"SUBSTITUTE: VGG19's layers up to {layer} with random He-normal weights (seed {seed}"
                       + (f", channels x{fallback_width}" if fallback_width != 1 else "")
                       + "), frozen; the ImageNet weights are not on this machine and cannot be downloaded")
        pretrained = False
    model.trainable = False
    preprocess = pretrained if preprocess is None else preprocess
    description += "; input: " + ("preprocess_input (0-255 BGR minus ImageNet means)" if preprocess
                                  else "[-1, 1] RGB as is")
    return VGGFeatures(model, layer, pretrained, description, preprocess)
