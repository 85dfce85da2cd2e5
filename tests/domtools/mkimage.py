#!/usr/bin/env python3
"""mkimage.py: make small ELF64 x86-64 images for the domtools and
xen-patches tests: burnt guests (with the afterburn note and records), a
stand-in Xen PV kernel (Xen notes, for the wedge's place), and malformed
variants of both.  Writes the file byte by byte, so every field can be
broken on purpose.

  mkimage.py OUT [--kind burnt|pv] [--xen-notes] [--abi N] [--arch N]
                 [--record-size N] [--note-flags N] [--no-note]
                 [--note-name NAME] [--note-descsz N] [--records N]
                 [--last-kind K] [--last-insn N]
                 [--record-outside] [--record-count-huge] [--overlap]
                 [--phnum-huge] [--truncate N] [--text-size N]
"""
import argparse
import struct

PAGE = 0x1000


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    out = struct.pack("<III", len(n), len(desc), ntype) + n
    out += b"\0" * (-len(out) % 4) + desc
    return out + b"\0" * (-len(out) % 4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kind", choices=["burnt", "pv"], default="burnt")
    ap.add_argument("--xen-notes", action="store_true",
                    help="also carry Xen PV notes (like a Linux with CONFIG_XEN)")
    ap.add_argument("--abi", type=int, default=1)
    ap.add_argument("--arch", type=int, default=1)
    ap.add_argument("--record-size", type=int, default=8)
    ap.add_argument("--note-flags", type=int, default=0)
    ap.add_argument("--no-note", action="store_true")
    ap.add_argument("--note-name", default="Afterburn")
    ap.add_argument("--note-descsz", type=int, default=None)
    ap.add_argument("--records", type=int, default=4)
    ap.add_argument("--last-kind", type=int, default=None,
                    help="kind number of the last record (default 1, CLI)")
    ap.add_argument("--last-insn", type=int, default=None,
                    help="instruction length of the last record (default 1)")
    ap.add_argument("--record-outside", action="store_true",
                    help="last record points into the (non-executable) data")
    ap.add_argument("--record-count-huge", action="store_true",
                    help=".afterburn section header claims a huge size")
    ap.add_argument("--overlap", action="store_true",
                    help="second PT_LOAD overlaps the first")
    ap.add_argument("--phnum-huge", action="store_true")
    ap.add_argument("--truncate", type=int, default=None)
    ap.add_argument("--text-size", type=int, default=0x1000)
    a = ap.parse_args()

    if a.kind == "pv":
        vbase, paddr = 0xFFFFFFFF80000000, 0x200000
    else:
        vbase, paddr = 0xFFFFFFFF80000000, 0x1000000
    text_vaddr = vbase + paddr

    # .text: a run of sites, each cli padded to 8 bytes with one nopl
    # (record length 8, insn 1, kind 1 = CLI in x86/sensitive.def).
    text = bytearray(b"\x90" * a.text_size)
    site_offsets = []
    for i in range(a.records):
        off = 0x10 + i * 8
        text[off:off + 8] = b"\xfa\x0f\x1f\x80\x00\x00\x00\x00"
        site_offsets.append(off)
    text[0:2] = b"\xeb\xfe"                       # entry: jmp .

    notes = b""
    if a.kind == "burnt" and not a.no_note:
        desc = struct.pack("<IHHI", a.abi, a.arch, a.record_size, a.note_flags)
        if a.note_descsz is not None:
            desc = (desc + b"\0" * 64)[:a.note_descsz]
        notes += note(a.note_name, 1, desc)
    if a.kind == "pv" or a.xen_notes:
        notes += note("Xen", 6, b"linux\0" if a.kind == "burnt" else b"afterburn-wedge\0")
        notes += note("Xen", 5, b"xen-3.0\0")
        notes += note("Xen", 8, b"generic\0")
        notes += note("Xen", 3, struct.pack("<Q", vbase))
        notes += note("Xen", 4, struct.pack("<Q", 0))
        notes += note("Xen", 1, struct.pack("<Q", text_vaddr))

    # Layout: ehdr, phdrs | text (page 1) | rodata: notes, .afterburn (page 2+)
    nph = 3
    text_off = PAGE
    ro_off = text_off + len(text) + (-len(text) % PAGE)
    ro_vaddr = text_vaddr + (ro_off - text_off)
    notes_off = ro_off
    ab_off = notes_off + len(notes) + (-len(notes) % 8)
    ab_vaddr = ro_vaddr + (ab_off - ro_off)
    records = b""
    for i, s in enumerate(site_offsets):
        site = text_vaddr + s
        if a.record_outside and i == len(site_offsets) - 1:
            site = ro_vaddr + 4          # readable, not executable
        field = ab_vaddr + 8 * i
        kind, insn = 1, 1
        if i == len(site_offsets) - 1:
            kind = a.last_kind if a.last_kind is not None else kind
            insn = a.last_insn if a.last_insn is not None else insn
        records += struct.pack("<iBBH", site - field, 8, insn, kind)
    ro = notes + b"\0" * (ab_off - notes_off - len(notes)) + records
    shstr = b"\0.text\0.notes\0.afterburn\0.shstrtab\0"
    shstr_off = ro_off + len(ro)
    sh_off = shstr_off + len(shstr) + (-len(shstr) % 8)

    def sec(name, stype, flags, addr, off, size, align, entsize=0):
        return struct.pack("<IIQQQQIIQQ", shstr.index(name.encode() + b"\0"),
                           stype, flags, addr, off, size, 0, 0, align, entsize)
    ab_size = len(records)
    if a.record_count_huge:
        ab_size = 0x7FFFFFFFFFFFFFF8
    shdrs = (b"\0" * 64
             + sec(".text", 1, 6, text_vaddr, text_off, len(text), 16)
             + sec(".notes", 7, 2, ro_vaddr, notes_off, len(notes), 4)
             + sec(".afterburn", 1, 2, ab_vaddr, ab_off, ab_size, 4, 8)
             + sec(".shstrtab", 3, 0, 0, shstr_off, len(shstr), 1))
    shnum = 5

    def ph(ptype, flags, off, vaddr, filesz, memsz, align):
        return struct.pack("<IIQQQQQQ", ptype, flags, off, vaddr,
                           vaddr - vbase, filesz, memsz, align)
    ro_vaddr_load = ro_vaddr
    ro_off_load = ro_off
    if a.overlap:
        ro_vaddr_load = text_vaddr + PAGE // 2   # overlaps .text's segment
    phdrs = (ph(1, 5, text_off, text_vaddr, len(text), len(text), PAGE)
             + ph(1, 4, ro_off_load, ro_vaddr_load, len(ro), len(ro), PAGE if not a.overlap else 1)
             + ph(4, 4, notes_off, ro_vaddr, len(notes), len(notes), 4))
    phnum = 0xFFFF if a.phnum_huge else nph

    ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       b"\0" * 7, 2, 62, 1, text_vaddr, 64, sh_off, 0, 64,
                       56, phnum, 64, shnum, shnum - 1)
    img = bytearray(ehdr + phdrs)
    img += b"\0" * (text_off - len(img)) + text
    img += b"\0" * (ro_off - len(img)) + ro
    img += shstr + b"\0" * (sh_off - shstr_off - len(shstr)) + shdrs
    if a.truncate is not None:
        img = img[:a.truncate]
    with open(a.out, "wb") as f:
        f.write(img)


if __name__ == "__main__":
    main()
