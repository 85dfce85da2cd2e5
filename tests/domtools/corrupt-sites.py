#!/usr/bin/env python3
"""corrupt-sites.py BUNDLE OUT HOW: break the site table of an ab-create boot
bundle (ab-create --dry-run --bundle-out; layout in domtools/ab-create-bundle.h)
in one way: HOW is original (an original instruction byte), address (a site
outside the executable segments), count (more entries than bytes), layout
(rewritten for another upcall-mask address), flags (an unknown trailer
flag) or noflag (a site table without the rewritten flag)."""
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
how = sys.argv[3]
t = data[-64:]
assert t[:8] == b'ABBUNDL1'
soff = struct.unpack_from('<Q', t, 48)[0]
ssize = struct.unpack_from('<Q', t, 56)[0]
assert ssize > 40 and data[soff:soff+8] == b'ABSITES1'
count = struct.unpack_from('<I', data, soff + 8)[0]
def entry(i): return soff + 40 + 32 * i
# the first call-form entry (form 2)
i = next(i for i in range(count) if data[entry(i) + 11] == 2)
if how == 'original':      # an original instruction byte: no longer the recorded kind
    data[entry(i) + 16] ^= 0xff
elif how == 'address':     # the site moved outside the executable segments
    struct.pack_into('<Q', data, entry(i), 0x10)
elif how == 'count':       # more entries than bytes
    struct.pack_into('<I', data, soff + 8, count + 1000)
elif how == 'layout':
    struct.pack_into('<Q', data, soff + 16, 0xffffffffffe00801)
elif how == 'flags':
    struct.pack_into('<I', data, len(data) - 64 + 12, 0x81)
elif how == 'noflag':
    struct.pack_into('<I', data, len(data) - 64 + 12, 0)
else:
    sys.exit('unknown corruption ' + how)
open(sys.argv[2], 'wb').write(data)
