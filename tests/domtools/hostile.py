#!/usr/bin/env python3
"""hostile.py OUT SHAPE [MIB]: a burnt image built to make a loader work as
hard as the validator lets it (issue 25's cost bound), written to OUT.
  headers   65,530 section headers named .afterburn over 256 records (the
            issue's denial of service: refused at the second header)
  short     MIB MiB (default 64) of 8-byte rdtsc sites (a kept kind, the
            smallest site the burner makes) and their records: the most
            records an image of that size can hold, every one valid, so
            every one is decoded
  long      MIB MiB of 255-byte cli sites padded with 254 one-byte NOPs: the
            most padding instructions to decode
  calls     MIB MiB of 8-byte sti and hlt sites, alternating: as many
            records as `short`, every one rewritten by ab-create into a
            call into the wedge (each sti paired with its hlt): the most
            work for the builder's rewriting and the largest site table
Layout as tests/domtools/crafted.py's images (one R-X load for .text,
one R-- load for the notes and .afterburn).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crafted  # noqa: E402


def main():
    out, shape = sys.argv[1], sys.argv[2]
    mib = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    img = crafted.Image()
    if shape == "headers":
        data = dict((n, d) for n, d, _ in crafted.cases())["65530-afterburn-headers"]
        open(out, "wb").write(data)
        return
    total = mib << 20
    if shape == "short":
        site, code, kind, insn = 16, b"\x0f\x31\x66\x0f\x1f\x44\x00\x00", 62, 2  # 8 code + 8 record bytes
    elif shape == "long":
        site, code, kind, insn = 255 + 8, b"\xfa" + b"\x90" * 254, 1, 1
    elif shape == "calls":
        nop7 = b"\x0f\x1f\x80\x00\x00\x00\x00"
        site, code, kind, insn = 16, b"\xfb" + nop7 + b"\xf4" + nop7, (2, 9), 1
    else:
        sys.exit("hostile.py: shape is headers, short, long or calls")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    length = len(code) // len(kinds)
    n = (total - 3 * crafted.PAGE) // site // len(kinds) * len(kinds)
    text = bytearray(code * (n // len(kinds)))
    text[0:2] = b"\xeb\xfe"          # entry: jmp . (the first site's bytes: skip it)
    img.text = text
    img.sites = []
    # records, built here in bulk (crafted.Image would take minutes for millions)
    ro_off = crafted.PAGE + len(text) + (-len(text) % crafted.PAGE)
    notes = b"".join(img.notes)
    ab_off = ro_off + len(notes) + (-len(notes) % 8)
    ro_vaddr = crafted.TEXT_VADDR + (ro_off - crafted.PAGE)
    ab_vaddr = ro_vaddr + (ab_off - ro_off)
    rec = bytearray()
    pack = struct.Struct("<iBBH").pack
    for i in range(1, n):
        field = ab_vaddr + 8 * (i - 1)
        rec += pack(crafted.TEXT_VADDR + i * length - field, length, insn, kinds[i % len(kinds)])
    img.extra_records = bytes(rec)
    open(out, "wb").write(img.build())


if __name__ == "__main__":
    main()
