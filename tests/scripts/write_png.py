"""Small RGB PNGs from Python's standard library alone, for the scripts' tests."""
import struct
import zlib


def write_png(path, width, height, colour):
    """Writes an 8-bit RGB PNG whose pixel (x, y) is colour(x, y), three values in 0..255."""
    rows = b"".join(b"\0" + b"".join(bytes(colour(x, y)) for x in range(width))
                    for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" +
                  chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
                  chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
