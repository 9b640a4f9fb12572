"""Skill 1: PixelCNN for binarised MNIST with masked convolutions."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

BOOK_PIXELCNN_PARAMS = 532_673


def causal_mask(kernel_size: int, in_channels: int, out_channels: int, mask_type: str) -> np.ndarray:
    """Kernel mask that hides the pixels below and to the right of the centre.

    Type "A" also hides the centre (first layer: a pixel must not see itself); type "B" keeps it.
    """
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    mask = np.zeros((kernel_size, kernel_size, in_channels, out_channels), dtype="float32")
    centre = kernel_size // 2
    mask[:centre] = 1.0
    mask[centre, :centre] = 1.0
    if mask_type == "B":
        mask[centre, centre] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="gancore")
class MaskedConv2D(layers.Conv2D):
    """A Conv2D whose kernel is multiplied by a causal mask in the convolution itself.

    The book's layer overwrote its kernel with ``kernel.assign(kernel * mask)`` on every call;
    here the stored kernel is never changed, so the layer is safe inside ``tf.function``,
    under distribution strategies and when weights are saved and reloaded.
    """

    def __init__(self, filters: int, kernel_size: int, mask_type: str = "B", **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        self.mask_type = mask_type

    def build(self, input_shape):
        super().build(input_shape)
        k = self.kernel_size[0]
        self._mask = ops.convert_to_tensor(causal_mask(k, int(input_shape[-1]), self.filters, self.mask_type))

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * ops.cast(self._mask, kernel.dtype))

    def get_config(self):
        return {**super().get_config(), "mask_type": self.mask_type}


def residual_block(x, filters: int = 128):
    """1x1 conv, masked 3x3 conv (type B, half the filters), 1x1 conv, plus the input."""
    y = layers.Conv2D(filters, 1, activation="relu")(x)
    y = MaskedConv2D(filters // 2, 3, mask_type="B", activation="relu", padding="same")(y)
    y = layers.Conv2D(filters, 1, activation="relu")(y)
    return layers.add([x, y])


def build_pixelcnn(filters: int = 128, residual_blocks: int = 5, output_layers: int = 2,
                   input_shape: tuple = (28, 28, 1)) -> keras.Model:
    """The book's PixelCNN: masked 7x7 (A), 5 residual blocks, 2 masked 1x1 (B), sigmoid 1x1.

    ``input_shape=(None, 28, 1)`` builds the same network for images of any height (the sampler
    uses it to feed only the rows generated so far).
    """
    image = keras.Input(input_shape, name="image")
    x = MaskedConv2D(filters, 7, mask_type="A", activation="relu", padding="same")(image)
    for _ in range(residual_blocks):
        x = residual_block(x, filters)
    for _ in range(output_layers):
        x = MaskedConv2D(filters, 1, mask_type="B", activation="relu", padding="valid")(x)
    probs = layers.Conv2D(1, 1, activation="sigmoid", name="pixel_probs")(x)
    return keras.Model(image, probs, name="pixelcnn")
