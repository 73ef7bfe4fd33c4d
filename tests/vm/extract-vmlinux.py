#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Extract the uncompressed ELF vmlinux from a bzImage (Debian's headers do not
ship scripts/extract-vmlinux).

    extract-vmlinux.py BZIMAGE OUT

Finds each compression magic inside the image, decompresses from there and
keeps the first result that is an ELF file.  Writes OUT atomically.
Exit 0 on success, 1 if no ELF was found.
"""
import bz2
import gzip
import lzma
import os
import shutil
import subprocess
import sys
import zlib

ELF = b"\x7fELF"


def d_gzip(data):
    # raw inflate after the 10-byte gzip header; tolerates trailing data
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return d.decompress(data)


def d_xz(data):
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)


def d_lzma(data):
    return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)


def d_bzip2(data):
    return bz2.BZ2Decompressor().decompress(data)


def d_cmd(*argv):
    def run(data):
        if not shutil.which(argv[0]):
            return b""
        p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return p.stdout  # trailing garbage makes these exit non-zero; keep the output

    return run


FORMATS = [  # (name, magic, decompressor); order as in the kernel's extract-vmlinux
    ("gzip", b"\x1f\x8b\x08", d_gzip),
    ("xz", b"\xfd7zXZ\x00", d_xz),
    ("bzip2", b"BZh", d_bzip2),
    ("lzma", b"\x5d\x00\x00\x00", d_lzma),
    ("lzo", b"\x89LZO", d_cmd("lzop", "-dc")),
    ("lz4", b"\x02!L\x18", d_cmd("lz4", "-dc")),
    ("zstd", b"(\xb5/\xfd", d_cmd("zstd", "-dc")),
]


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        img = f.read()
    if img[:4] == ELF:
        found = img
        how = "already an ELF"
    else:
        found, how = None, None
        for name, magic, fn in FORMATS:
            pos = img.find(magic)
            while pos >= 0 and found is None:
                try:
                    data = fn(img[pos:])
                except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):
                    data = b""
                if data[:4] == ELF:
                    found, how = data, "%s at offset %d" % (name, pos)
                pos = img.find(magic, pos + 1)
            if found is not None:
                break
    if found is None:
        print("extract-vmlinux: no compressed ELF found in %s" % src, file=sys.stderr)
        return 1
    tmp = "%s.tmp.%d" % (out, os.getpid())
    with open(tmp, "wb") as f:
        f.write(found)
    os.replace(tmp, out)
    print("extract-vmlinux: %s -> %s (%s, %d bytes)" % (src, out, how, len(found)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
