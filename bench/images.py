#!/usr/bin/env python3
"""PNG files for the upload benchmark, written without an imaging library.

    images.py bomb WIDTH HEIGHT FILE    black pixels: a few hundred KB that
                                        claim WIDTH x HEIGHT (a decompression bomb)
    images.py photo WIDTH HEIGHT FILE   a colour gradient that changes on every
                                        row: a camera-sized image of a few MB
"""
import struct
import sys
import zlib


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path, width, height, rows, level):
    pixels = zlib.compressobj(level)
    body = []
    for row in rows:
        body.append(pixels.compress(b"\x00" + row))
    body.append(pixels.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", header))
        f.write(chunk(b"IDAT", b"".join(body)))
        f.write(chunk(b"IEND", b""))


def main():
    kind, width, height, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if kind == "bomb":
        black = bytes(3 * width)
        write_png(path, width, height, (black for _ in range(height)), 9)
    elif kind == "photo":
        # One row of a hue sweep, shifted a little on each row: every row
        # differs (no decoder shortcut) yet the file stays small.
        base = bytes(v for x in range(width) for v in (x * 255 // width, (x * 7) & 255, 200 - x % 100))
        rows = (base[(3 * y) % len(base):] + base[: (3 * y) % len(base)] for y in range(height))
        write_png(path, width, height, rows, 6)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
