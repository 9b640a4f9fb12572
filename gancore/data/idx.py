"""Reading (and writing) the IDX format of the MNIST files, plain or gzip-compressed."""

from __future__ import annotations

import gzip
import os
import zlib
from math import prod

import numpy as np

#: IDX type codes -> big-endian numpy dtypes.
IDX_DTYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(dtype).newbyteorder(">") if np.dtype(dtype).itemsize > 1 else np.dtype(dtype): code
          for code, dtype in IDX_DTYPES.items()}


def read_idx(source: bytes | bytearray | memoryview | str | os.PathLike) -> np.ndarray:
    """Parse IDX data (bytes, or a path to a file; gzip detected by its magic) into an array.

    Layout: two zero bytes, a type code (0x08 = uint8, ...), the number of dimensions, each
    dimension as a big-endian uint32, then the values. Raises ValueError on a bad header or a
    size that does not match the dimensions.
    """
    label = "IDX data"
    if isinstance(source, (str, os.PathLike)):
        label = str(source)
        with open(source, "rb") as handle:
            data = handle.read()
    else:
        data = bytes(source)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{label}: corrupt or truncated gzip data ({err})") from err
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(f"{label}: bad IDX magic {data[:4].hex() or '(empty)'}; expected 0000<type><ndim>")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{label}: unknown IDX type code 0x{code:02x}; known: "
                         f"{', '.join(f'0x{c:02x}' for c in IDX_DTYPES)}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{label}: truncated header ({len(data)} bytes for {ndim} dimensions)")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = prod(dims) * dtype.itemsize
    if len(data) - header != expected:
        problem = "truncated" if len(data) - header < expected else "has trailing bytes"
        raise ValueError(f"{label}: {problem}: dimensions {dims} need {expected} bytes of values, "
                         f"found {len(data) - header}")
    values = np.frombuffer(data, dtype=dtype, count=prod(dims), offset=header)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as IDX (the inverse of :func:`read_idx`)."""
    array = np.asarray(array)
    big = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if big not in _CODES:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, int32, float32 or float64")
    header = bytes([0, 0, _CODES[big], array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(big).tobytes()
