"""Read the initializers (weights) of an ONNX file without the onnx package: ModelProto.graph (field 7) ->
GraphProto.initializer (field 5) -> TensorProto dims (1), data_type (2), name (8), raw_data (9). Enough for the
graphs torch.onnx.export writes, which store every weight as raw little-endian data."""
from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np

_DTYPES = {1: np.float32, 10: np.float16, 7: np.int64, 6: np.int32}


def _varint(buf: bytes, i: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: bytes) -> Iterator[Tuple[int, object]]:
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def read_initializers(path: Path) -> List[Tuple[str, np.ndarray]]:
    """(name, array) for every initializer, in file order."""
    graph = next((v for f, v in _fields(Path(path).read_bytes()) if f == 7), None)
    if graph is None:
        raise ValueError(f"{path}: no graph in this ONNX file")
    out = []
    for number, tensor in _fields(graph):
        if number != 5:
            continue
        dims, name, dtype, raw = [], None, None, None
        for f, v in _fields(tensor):
            if f == 1:
                dims.append(v)
            elif f == 2:
                dtype = v
            elif f == 8:
                name = v.decode()
            elif f == 9:
                raw = v
        if dtype not in _DTYPES or raw is None:
            raise ValueError(f"{path}: initializer {name} has data type {dtype} or no raw data; not supported")
        out.append((name, np.frombuffer(raw, _DTYPES[dtype]).reshape(dims).copy()))
    return out
