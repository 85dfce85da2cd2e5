#!/usr/bin/python3
"""mkbad.py BURNT.ELF OUTDIR: the broken variants of a burnt guest the wedge
must refuse: conformance-corrupt.elf (the first .afterburn record's kind set
to 999, unknown to sensitive.def) and conformance-abi99.elf (.note.afterburn
claiming ABI version 99)."""
import struct
import sys


def sections(data):
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        name = data[stroff + h[0]:data.index(b'\0', stroff + h[0])].decode()
        out[name] = (h[4], h[5])   # file offset, size
    return out


src, outdir = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
secs = sections(data)

off, size = secs['.afterburn']
assert size >= 8, 'no .afterburn records'
bad = bytearray(data)
struct.pack_into('<H', bad, off + 6, 999)
open(f'{outdir}/conformance-corrupt.elf', 'wb').write(bad)

off, size = secs['.note.afterburn']
namesz, descsz, ntype = struct.unpack_from('<III', data, off)
assert data[off + 12:off + 12 + namesz] == b'Afterburn\0' and ntype == 1
desc = off + 12 + ((namesz + 3) & ~3)
bad = bytearray(data)
struct.pack_into('<I', bad, desc, 99)
open(f'{outdir}/conformance-abi99.elf', 'wb').write(bad)
