"""The snapshot file format: a zip archive of JSON and numpy ``.npy`` arrays; never pickle.

Layout of a snapshot (a ``.zip`` file, or the same bytes in memory)::

    manifest.json      {"format": "pyx86-snapshot", "version": 1, "state": <tree>}
    arrays/<n>.npy     one numpy array each (``numpy.save``, ``allow_pickle=False``)

``<tree>`` is the machine's state as JSON: dicts with string keys, lists,
integers, floats, strings, booleans and null.  Two values JSON cannot hold
are written as one-key objects: ``{"$array": "arrays/3.npy"}`` for a numpy
array and ``{"$bytes": "<base64>"}`` for a bytes value.  Arrays are stored
deflated, so a mostly empty RAM costs little.  The reader loads arrays with
``allow_pickle=False``: a snapshot cannot run code.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any, BinaryIO

import numpy as np

FORMAT = "pyx86-snapshot"
VERSION = 1


class SnapshotError(ValueError):
    """A file that is not a snapshot this version can read."""


def dump(state: dict[str, Any], out: BinaryIO) -> None:
    """Write the state tree ``state`` to the binary file ``out``."""
    arrays: list[np.ndarray] = []

    def encode(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            arrays.append(value)
            return {"$array": f"arrays/{len(arrays) - 1}.npy"}
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
        if isinstance(value, dict):
            for k in value:
                if not isinstance(k, str):
                    raise TypeError(f"snapshot dict keys must be strings, not {k!r}")
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"cannot put a {type(value).__name__} into a snapshot")

    tree = encode(state)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("manifest.json", json.dumps({"format": FORMAT, "version": VERSION, "state": tree}))
        for n, arr in enumerate(arrays):
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
            z.writestr(f"arrays/{n}.npy", buf.getvalue())


def load(src: BinaryIO) -> dict[str, Any]:
    """Read a state tree written by :func:`dump`."""
    try:
        with zipfile.ZipFile(src) as z:
            manifest = json.loads(z.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise SnapshotError("not a pyx86 snapshot")
            if manifest.get("version") != VERSION:
                raise SnapshotError(f"snapshot format version {manifest.get('version')}, "
                                    f"this pyx86 reads version {VERSION}")

            def decode(value: Any) -> Any:
                if isinstance(value, dict):
                    if len(value) == 1 and "$array" in value:
                        return np.load(io.BytesIO(z.read(value["$array"])), allow_pickle=False)
                    if len(value) == 1 and "$bytes" in value:
                        return base64.b64decode(value["$bytes"])
                    return {k: decode(v) for k, v in value.items()}
                if isinstance(value, list):
                    return [decode(v) for v in value]
                return value

            return decode(manifest["state"])
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, ValueError) as e:
        if isinstance(e, SnapshotError):
            raise
        raise SnapshotError(f"damaged or foreign snapshot: {e}") from None


def dumps(state: dict[str, Any]) -> bytes:
    """:func:`dump` into bytes."""
    buf = io.BytesIO()
    dump(state, buf)
    return buf.getvalue()


def loads(data: bytes) -> dict[str, Any]:
    """:func:`load` from bytes."""
    return load(io.BytesIO(data))
