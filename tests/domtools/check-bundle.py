#!/usr/bin/env python3
"""check-bundle.py ELF BUNDLE [--wedge-rewrites]: check a boot bundle written
by ab-create --bundle-out against the burnt ELF it came from
(domtools/ab-create-bundle.h).  Pre-rewritten (the default): flag 1, a site
table whose original bytes are the ELF's bytes at each site, each site in
the bundle's image in the form its entry names (call *abs32 into the
wedge's slot page, movb $1 to the upcall mask, or the original bytes), and
every byte outside the sites unchanged.  --wedge-rewrites: flag 0, no
table, the image byte for byte.  Prints a summary line; exits 1 on a
mismatch."""
import struct, sys

SLOT_VA = 0xffffffffffe01000          # wedge-xen/layout.h
UPCALL_MASK = 0xffffffffffe00001
elf = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
wedge_rewrites = '--wedge-rewrites' in sys.argv[3:]

def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)

t = b[-64:]
if t[:8] != b'ABBUNDL1':
    fail('no trailer')
size, flags, koff, ksize, ioff, isize, soff, ssize = struct.unpack_from('<IIQQQQQQ', t, 8)
if size != 64 or koff != 0 or ksize != len(elf):
    fail('trailer: size %d, image %#x+%#x for a %d-byte ELF' % (size, koff, ksize, len(elf)))
image = b[:ksize]
if wedge_rewrites:
    if flags != 0 or ssize != 0 or image != elf:
        fail('--wedge-rewrites: flags %d, table %d bytes, image %s' % (flags, ssize, 'same' if image == elf else 'changed'))
    print('bundle: image byte for byte, no site table')
    sys.exit(0)
if flags != 1 or ssize < 40:
    fail('flags %d, site table %d bytes' % (flags, ssize))
magic, count, esize, mask, sti, base = struct.unpack_from('<8sIIQQQ', b, soff)
if magic != b'ABSITES1' or esize != 32 or 40 + 32 * count != ssize:
    fail('site table header %r %d %d' % (magic, count, esize))
if mask != UPCALL_MASK or sti != SLOT_VA or base != SLOT_VA:
    fail('targets %#x %#x %#x' % (mask, sti, base))

# program headers: paddr -> file offset
phoff, = struct.unpack_from('<Q', elf, 32)
phentsize, phnum = struct.unpack_from('<HH', elf, 54)
segs = []
for i in range(phnum):
    ptype, pflags, off, va, pa, filesz = struct.unpack_from('<IIQQQQ', elf, phoff + i * phentsize)
    if ptype == 1:
        segs.append((pa, off, filesz))
def file_off(pa):
    for spa, off, sz in segs:
        if spa <= pa < spa + sz:
            return off + pa - spa
    fail('site %#x in no segment' % pa)

changed = bytearray(len(elf))   # bytes a site may change
forms = {1: 0, 2: 0, 3: 0, 4: 0}
prev = 0
for i in range(count):
    pa, length, insn, kind, form, ret, pair = struct.unpack_from('<QBBBBBB', b, soff + 40 + 32 * i)
    orig = b[soff + 40 + 32 * i + 16: soff + 40 + 32 * i + 16 + insn]
    off = file_off(pa)
    if pa < prev:
        fail('entry %d: not in address order' % i)
    prev = pa + length
    if elf[off:off + insn] != orig:
        fail('entry %d at %#x: original bytes %s, the ELF has %s' % (i, pa, orig.hex(), elf[off:off + insn].hex()))
    site = image[off:off + length]
    forms[form] = forms.get(form, 0) + 1
    if form == 2:      # call *abs32 to a slot, return at ret
        c = site[ret - 7:ret]
        slot = struct.unpack_from('<i', c, 3)[0] & 0xffffffffffffffff
        if c[:3] != b'\xff\x14\x25' or not SLOT_VA <= slot < SLOT_VA + 4096:
            fail('entry %d at %#x: no call into the slot page at +%d: %s' % (i, pa, ret - 7, site.hex()))
    elif form == 1:    # cli: movb $1, upcall_mask
        if site[:8] != b'\xc6\x04\x25' + struct.pack('<i', UPCALL_MASK - (1 << 64)) + b'\x01':
            fail('entry %d at %#x: not the inline cli form: %s' % (i, pa, site.hex()))
    elif form == 3 and kind in (46, 47, 48, 49):   # lar/lsl/verr/verw: ud2 + NOPs (x86/rewrite.h)
        if site[:2] != b'\x0f\x0b':
            fail('entry %d at %#x: not the ud2 trap form: %s' % (i, pa, site.hex()))
    elif form in (3, 4):
        if site[:insn] != orig:
            fail('entry %d at %#x: form %d should keep the original bytes' % (i, pa, form))
    else:
        fail('entry %d: form %d' % (i, form))
    for j in range(off, off + length):
        changed[j] = 1
diff = [j for j in range(len(elf)) if elf[j] != image[j] and not changed[j]]
if diff:
    fail('%d bytes outside the sites changed, first at file offset %#x' % (len(diff), diff[0]))
print('bundle: %d sites (%d calls, %d inline, %d left to trap, %d kept), rest of the image unchanged'
      % (count, forms[2], forms[1], forms[3], forms[4]))
