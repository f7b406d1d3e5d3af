"""Writes the tiny NumPy/IDX fixtures used by the tests in src/data, with real NumPy, and checks that
the .npz files written by Rampart's own writer load in NumPy.

Run with the system Python that has NumPy:  /usr/bin/python3 scripts/make-data-fixtures.py
The test suite never needs Python: the files this script writes are committed.

Pixel values follow one formula, so the TypeScript tests can recompute every expected value:
    pixel(n, h, w, c) = ((n*37 + h*11 + w*5 + c*3) % 256) / 255      (stored as float32)
"""

import gzip
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "data")


def pixels(n, h, w, c):
    """NHWC float32 array following the documented formula."""
    ni, hi, wi, ci = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return (((ni * 37 + hi * 11 + wi * 5 + ci * 3) % 256) / 255).astype(np.float32)


def path(name):
    return os.path.join(OUT, name)


def write_idx(name, array):
    """IDX: two zero bytes, a type code, the number of dims, big-endian uint32 dims, big-endian data."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    with open(path(name), "wb") as f:
        f.write(header + body)
    with open(path(name + ".gz"), "wb") as raw:  # mtime=0 and no file name: byte-identical reruns
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as f:
            f.write(header + body)


def make():
    os.makedirs(OUT, exist_ok=True)
    x = pixels(6, 5, 4, 3)
    y = np.array([0, 1, 2, 0, 1, 2])

    # Image sets, both layouts, both zip flavours, several label dtypes.
    np.savez(path("nhwc-f32-i64.npz"), x=x, y=y.astype(np.int64))
    np.savez_compressed(path("nchw-f32-u8-compressed.npz"), x=np.ascontiguousarray(x.transpose(0, 3, 1, 2)),
                        y=y.astype(np.uint8))
    gray = pixels(4, 6, 5, 1)
    np.savez(path("nchw-gray-f32-i64.npz"), x=np.ascontiguousarray(gray.transpose(0, 3, 1, 2)),
             y=np.array([3, 2, 1, 0], dtype=np.int64))
    gray_u8 = np.round(pixels(5, 4, 4, 1)[..., 0] * 255).astype(np.uint8)
    np.savez(path("gray3d-u8-i32.npz"), x=gray_u8, y=np.array([4, 3, 2, 1, 0], dtype=np.int32))
    tab = pixels(7, 3, 1, 1)[:, :, 0, 0].astype(np.float64)
    np.savez_compressed(path("tabular-f64-i16-compressed.npz"), x=tab,
                        y=np.array([0, 1, 0, 1, 0, 1, 1], dtype=np.int16))

    # Bad sets: each breaks exactly one rule.
    bad_x = pixels(4, 2, 2, 1)[..., 0]
    nan_x = bad_x.copy()
    nan_x[2, 1, 0] = np.nan
    np.savez(path("bad-nan.npz"), x=nan_x, y=np.zeros(4, dtype=np.int64))
    inf_x = bad_x.copy()
    inf_x[3, 0, 1] = np.inf
    np.savez(path("bad-inf.npz"), x=inf_x, y=np.zeros(4, dtype=np.int64))
    np.savez(path("bad-range-255.npz"), x=bad_x * 255, y=np.zeros(4, dtype=np.int64))
    np.savez(path("bad-negative-labels.npz"), x=bad_x, y=np.array([0, 1, -1, 0], dtype=np.int64))
    np.savez(path("bad-count-mismatch.npz"), x=bad_x, y=np.zeros(3, dtype=np.int64))
    np.savez(path("bad-one-hot-labels.npz"), x=bad_x, y=np.eye(4, dtype=np.float32))
    np.savez(path("bad-float-labels.npz"), x=bad_x, y=np.array([0.0, 1.0, 0.5, 1.0]))
    np.savez(path("bad-missing-y.npz"), x=bad_x)

    # Plain .npy pairs and header variants.
    np.save(path("x.npy"), pixels(4, 3, 3, 1)[..., 0])
    np.save(path("y.npy"), np.array([1, 0, 1, 0], dtype=np.int64))
    np.save(path("fortran-f32.npy"), np.asfortranarray((np.arange(24, dtype=np.float32) / 24).reshape(3, 4, 2)))
    np.save(path("big-endian-f4.npy"), (np.arange(6, dtype=np.float32) / 8).reshape(2, 3).astype(">f4"))
    with open(path("v2-u8.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(10, dtype=np.uint8).reshape(2, 5), version=(2, 0))
    np.save(path("scalar-f64.npy"), np.float64(0.25))
    np.save(path("complex64.npy"), np.array([1 + 2j, 3 - 1j], dtype=np.complex64))

    # IDX, raw and gzip.
    write_idx("images-idx3-ubyte", np.round(pixels(3, 4, 5, 1)[..., 0] * 255).astype(np.uint8))
    write_idx("labels-idx1-ubyte", np.array([7, 0, 3], dtype=np.uint8))
    write_idx("float-idx3", pixels(2, 2, 3, 1)[..., 0])


def check_rampart_output():
    """Loads the .npz files the TypeScript writer produced (test golden files) and checks their values."""
    for name in ("written-by-rampart.npz", "written-by-rampart-compressed.npz"):
        p = path(name)
        if not os.path.exists(p):
            print(f"skip {name}: not written yet (run the data tests with UPDATE_GOLDEN=1)")
            continue
        with np.load(p, allow_pickle=False) as z:
            assert sorted(z.files) == ["eps", "ids", "u", "x", "y"], z.files
            assert z["x"].dtype == np.float32 and z["x"].shape == (2, 2, 2, 1)
            assert np.array_equal(z["x"].ravel(), np.arange(8, dtype=np.float32) / 8)
            assert z["y"].dtype == np.int64 and z["y"].tolist() == [0, 1]
            assert z["u"].dtype == np.uint8 and z["u"].tolist() == [[0, 128, 255]]
            assert z["ids"].dtype == np.int32 and z["ids"].tolist() == [-3, 0, 70000]
            assert z["eps"].dtype == np.float64 and z["eps"].shape == () and float(z["eps"]) == 0.25
        print(f"ok {name}: NumPy {np.__version__} reads it with the expected values")


if __name__ == "__main__":
    if "--check-only" not in sys.argv:
        make()
        print(f"wrote fixtures to {os.path.normpath(OUT)}")
    check_rampart_output()
