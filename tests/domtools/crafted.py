#!/usr/bin/env python3
"""crafted.py OUTDIR [--only NAME]: write the crafted burnt images of issue
25 into OUTDIR, one file per case, and OUTDIR/expected: one line per case,
"NAME<TAB>VERDICT", where VERDICT is "accepted" or "refused: REASON", the
one-line reason every loader must give (the shared validator's words,
domtools/libafterburn/validate.c).  tests/domtools/crafted.test runs the
three loaders (ab-create --check, the wedge's loader built for the host,
the patched libxenguest's xc_dom_parse_image) on every case.

Every image carries an afterburn-named note, so all three loaders treat
it as a burnt kernel.  Layout (like a linked vmlinux, small):
  page 0: ELF header, program headers
  page 1: .text (R-X load), the sites
  page 2: .notes and .afterburn (R-- load, PT_NOTE)
  then:   .shstrtab, section headers (not loaded)
"""
import argparse
import os
import struct

PAGE = 0x1000
VBASE = 0xFFFFFFFF80000000
PADDR = 0x1000000
TEXT_VADDR = VBASE + PADDR
NOP7 = b"\x0f\x1f\x80\x00\x00\x00\x00"
CLI = b"\xfa" + NOP7             # a burnt cli: 8 bytes, insn 1
KIND = {"CLI": 1, "STI": 2, "PUSHF": 3, "HLT": 9, "CPUID": 10}


def note(name, ntype, desc, namesz=None):
    n = name if isinstance(name, bytes) else name.encode() + b"\0"
    out = struct.pack("<III", len(n) if namesz is None else namesz, len(desc), ntype) + n
    out += b"\0" * (-len(out) % 4) + desc
    return out + b"\0" * (-len(out) % 4)


def ab_desc(abi=1, arch=1, rsize=8, flags=0):
    return struct.pack("<IHHI", abi, arch, rsize, flags)


class Image:
    """A burnt image; change the fields, then build()."""

    def __init__(self):
        self.text = bytearray(b"\x90" * PAGE)
        self.text[0:2] = b"\xeb\xfe"              # entry: jmp .
        self.sites = []                            # dicts: off, length, insn, kind[, rel]
        self.notes = [note("Afterburn", 1, ab_desc())]
        self.ab_copies = 1                         # .afterburn section headers
        self.note_copies = 1                       # SHT_NOTE headers over .notes
        self.ro_vaddr = None                       # default: right after .text
        self.ab_addr_delta = 0                     # .afterburn sh_addr off its load
        self.ab_type = 1                           # SHT_PROGBITS
        self.text_filesz = None
        self.extra_records = b""
        self.entry = TEXT_VADDR                    # e_entry

    def site(self, off, code, kind, insn=1, length=None, **kw):
        self.text[off:off + len(code)] = code
        d = dict(off=off, length=len(code) if length is None else length, insn=insn,
                 kind=KIND.get(kind, kind))
        d.update(kw)
        self.sites.append(d)
        return self

    def build(self):
        text = bytes(self.text)
        ro_off = PAGE + len(text) + (-len(text) % PAGE)
        ro_vaddr = self.ro_vaddr if self.ro_vaddr is not None else TEXT_VADDR + (ro_off - PAGE)
        notes = b"".join(self.notes)
        ab_off = ro_off + len(notes) + (-len(notes) % 8)
        ab_vaddr = ro_vaddr + (ab_off - ro_off)
        records = b""
        for i, s in enumerate(self.sites):
            field = ab_vaddr + 8 * i
            rel = s["rel"] if "rel" in s else TEXT_VADDR + s["off"] - field
            records += struct.pack("<iBBH", rel, s["length"], s["insn"], s["kind"])
        records += self.extra_records
        ro = notes + b"\0" * (ab_off - ro_off - len(notes)) + records
        shstr = b"\0.text\0.notes\0.afterburn\0.shstrtab\0"
        shstr_off = ro_off + len(ro)
        sh_off = shstr_off + len(shstr) + (-len(shstr) % 8)

        def sec(name, stype, flags, addr, off, size, align, entsize=0):
            return struct.pack("<IIQQQQIIQQ", shstr.index(name.encode() + b"\0"),
                               stype, flags, addr, off, size, 0, 0, align, entsize)
        shdrs = [b"\0" * 64, sec(".text", 1, 6, TEXT_VADDR, PAGE, len(text), 16)]
        shdrs += [sec(".notes", 7, 2, ro_vaddr, ro_off, len(notes), 4)] * self.note_copies
        shdrs += [sec(".afterburn", self.ab_type, 2, ab_vaddr + self.ab_addr_delta, ab_off,
                      len(records), 4, 8)] * self.ab_copies
        shdrs += [sec(".shstrtab", 3, 0, 0, shstr_off, len(shstr), 1)]
        shnum = len(shdrs)

        def ph(ptype, flags, off, vaddr, filesz, memsz, align):
            return struct.pack("<IIQQQQQQ", ptype, flags, off, vaddr,
                               (vaddr - VBASE) & 0xFFFFFFFFFFFFFFFF, filesz, memsz, align)
        tfs = len(text) if self.text_filesz is None else self.text_filesz
        phdrs = (ph(1, 5, PAGE, TEXT_VADDR, tfs, len(text), PAGE)
                 + ph(1, 4, ro_off, ro_vaddr, len(ro), len(ro), PAGE)
                 + ph(4, 4, ro_off, ro_vaddr, len(notes), len(notes), 4))
        ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                           b"\0" * 7, 2, 62, 1, self.entry, 64, sh_off, 0, 64,
                           56, 3, 64, shnum, shnum - 1)
        img = bytearray(ehdr + phdrs)
        img += b"\0" * (PAGE - len(img)) + text
        img += b"\0" * (ro_off - len(img)) + ro
        img += shstr + b"\0" * (sh_off - shstr_off - len(shstr)) + b"".join(shdrs)
        self.ab_vaddr, self.ro_off = ab_vaddr, ro_off
        return bytes(img)


def a(off):
    """Address of a .text offset, as the validator prints it."""
    return "0x%x" % (TEXT_VADDR + off)


def good():
    return Image().site(0x10, CLI, "CLI").site(0x18, CLI, "CLI")


def cases():
    """(name, image bytes, verdict)"""
    out = []

    def add(name, img, verdict):
        out.append((name, img.build() if isinstance(img, Image) else img, verdict))

    add("good", good(), "accepted")
    # an sti right before a hlt (sti;hlt emulated as one step) and a cpuid
    add("good-sti-hlt-cpuid", Image().site(0x10, b"\xfb" + NOP7, "STI")
        .site(0x18, b"\xf4" + NOP7, "HLT").site(0x20, b"\x0f\xa2\x66\x0f\x1f\x44\x00\x00", "CPUID", insn=2),
        "accepted")

    # Linux's e_entry is the physical address of startup_64
    img = good()
    img.entry = PADDR
    add("good-physical-entry", img, "accepted")
    img = good()
    img.entry = TEXT_VADDR + 2 * PAGE     # in the R-- load
    add("entry-in-data", img, "refused: entry point 0x%x is not inside executable code" % img.entry)

    # Records believed too easily (the third point).
    # The 0xfa immediate of `mov $0xfa,%eax` (b8 fa 00 00 00) named as a cli site.
    img = Image()
    img.text[0x10:0x15] = b"\xb8\xfa\x00\x00\x00"
    img.sites.append(dict(off=0x11, length=8, insn=1, kind=1))
    add("mid-instruction", img,
        "refused: record 0: site %s: byte 1 of 8 is not the burner's NOP padding "
        "(a site is its instruction and padding only)" % a(0x11))
    # A 255-byte site whose "padding" is real code (mov %rax,%rbx; ret ...).
    img = Image().site(0x10, b"\xfa" + NOP7, "CLI")
    img.text[0x18:0x1b] = b"\x48\x89\xc3"
    img.sites[0]["length"] = 255
    add("padding-is-code", img,
        "refused: record 0: site %s: byte 8 of 255 is not the burner's NOP padding "
        "(a site is its instruction and padding only)" % a(0x10))
    # The limit of a local check: `mov $0x909090fa,%eax` then NOPs holds the
    # bytes of a padded cli at its second byte; nothing at the site says it
    # is inside another instruction (docs/domtools.md, "The validator").
    img = Image()
    img.text[0x10:0x15] = b"\xb8\xfa\x90\x90\x90"
    img.sites.append(dict(off=0x11, length=8, insn=1, kind=1))
    add("limit-immediate-looks-like-a-site", img, "accepted")
    # pause (f3 90) is not padding
    add("padding-pause", Image().site(0x10, b"\xfa\xf3\x90" + NOP7[:5], "CLI"),
        "refused: record 0: site %s: byte 1 of 8 is not the burner's NOP padding "
        "(a site is its instruction and padding only)" % a(0x10))
    # A record whose kind does not match its bytes, and one whose length does not.
    add("kind-mismatch", good().site(0x20, CLI, "STI"),
        "refused: record 2: site %s: says STI of 1 bytes, the bytes are CLI of 1 bytes" % a(0x20))
    add("not-an-instruction", good().site(0x20, b"\x00\x00" + NOP7[:6], "CLI"),
        "refused: record 2: site %s: the bytes there are no instruction the decoder knows "
        "(the record says CLI)" % a(0x20))
    add("insn-zero", good().site(0x20, CLI, "CLI", insn=0),
        "refused: record 2: site %s: instruction length 0 does not fit its site of 8 bytes" % a(0x20))
    add("insn-longer-than-site", good().site(0x20, b"\xfa", "CLI", insn=2, length=1),
        "refused: record 2: site %s: instruction length 2 does not fit its site of 1 bytes" % a(0x20))
    # a cli without the burner's padding (and without room for the rewrite)
    add("site-shorter-than-pad", good().site(0x20, b"\xfa\x0f\x1f\x40\x00", "CLI"),
        "refused: record 2: site %s: 5 bytes, shorter than the 8 the burner pads a CLI site to" % a(0x20))
    # more records than 8-byte sites fit in the code
    img = good()
    img.text = img.text[:0x100]
    img.sites = [dict(off=0x10, length=8, insn=1, kind=1)] * 33
    add("more-records-than-code", img,
        "refused: 33 records for 256 bytes of executable code (sites of 8 bytes at least)")
    add("unknown-kind", good().site(0x20, CLI, 999),
        "refused: record 2: site %s: unknown kind 999 (x86/sensitive.def has 1..64)" % a(0x20))

    # Where the sites are.
    img = good()
    img.sites.append(dict(off=0x14, length=8, insn=1, kind=1))   # inside record 0's padding
    add("overlapping-sites", img,
        "refused: records 0 and 2: sites %s+8 and %s+8 overlap" % (a(0x10), a(0x14)))
    add("same-site-twice", good().site(0x10, CLI, "CLI"),
        "refused: records 0 and 2: sites %s+8 and %s+8 overlap" % (a(0x10), a(0x10)))
    add("site-straddles-segment-end", good().site(PAGE - 4, CLI[:4], "CLI", length=8),
        "refused: record 2: site %s+8 is not inside executable code" % a(PAGE - 4))
    img = good()
    img.text_filesz = PAGE - 0x100          # the tail of .text is not in the file
    img.site(PAGE - 0x100, CLI, "CLI")
    add("site-in-bss-of-text", img,
        "refused: record 2: site %s+8 is not inside executable code" % a(PAGE - 0x100))
    img = good()
    img.sites.append(dict(off=PAGE + 0x10, length=8, insn=1, kind=1))   # in the R-- load
    add("site-in-data", img,
        "refused: record 2: site %s+8 is not inside executable code" % a(PAGE + 0x10))
    # Wrapped offsets: records near the top of the address space pointing past it.
    img = good()
    img.ro_vaddr = 0xFFFFFFFFFFFFE000
    img.sites[0]["rel"] = 0x7FFFFFF0
    img.build()
    add("offset-wraps", img,
        "refused: record 0: offset 2147483632 from 0x%x wraps around the address space" % img.ab_vaddr)
    img = good()
    img.sites[0]["rel"] = -0x80000000      # below the text: nowhere
    img.build()
    add("offset-far-below", img,
        "refused: record 0: site 0x%x+8 is not inside executable code" % (img.ab_vaddr - 0x80000000))

    # The record section.
    img = good()
    img.ab_copies = 2
    add("two-afterburn-sections", img,
        "refused: sections 3 and 4 are both named .afterburn: an image has one record section")
    img = good()
    img.ab_copies = 65530 - 4
    img.sites = [dict(off=0x10 + 8 * i, length=8, insn=1, kind=1) for i in range(256)]
    for i in range(256):
        img.text[0x10 + 8 * i:0x18 + 8 * i] = CLI
    add("65530-afterburn-headers", img,
        "refused: sections 3 and 4 are both named .afterburn: an image has one record section")
    img = good()
    img.ab_addr_delta = 0x100000           # sh_addr not where the load puts its bytes
    img.build()
    add("records-outside-load", img,
        "refused: .afterburn (section 3, 0x%x+0x10 at file offset 0x%x) is not inside a loadable segment"
        % (img.ab_vaddr + 0x100000, img.ab_vaddr - TEXT_VADDR + PAGE))
    img = good()
    img.extra_records = b"\0" * 4
    add("records-not-whole", img,
        "refused: .afterburn (section 3): size 20 is not a multiple of 8")
    img = good()
    img.ab_type = 8
    add("records-nobits", img,
        "refused: .afterburn (section 3): type 8 flags 0x2, expected allocated file bytes")
    add("no-records", Image(), "refused: .afterburn (section 3): 0 records, an image has at least one")

    # The note.
    img = good()
    img.notes.append(note("Afterburn", 1, ab_desc(abi=2)))
    add("second-note-other-abi", img,
        "refused: section 2: a second afterburn note at +0x24 (a link keeps one)")
    img = good()
    img.notes = [note(b"Afterburn\0\0\0", 1, ab_desc())]
    add("note-namesz-12", img,
        "refused: section 2: the note at +0x0 is named Afterburn with namesz 12, expected 10")
    img = good()
    img.notes = [note(b"Afterburn", 1, ab_desc())]
    add("note-namesz-9", img,
        "refused: section 2: the note at +0x0 is named Afterburn with namesz 9, expected 10")
    img = good()
    img.notes = [note("Afterburn", 1, ab_desc(abi=2))]
    add("note-abi-2", img, "refused: afterburn note: ABI version 2, this loader knows 1")
    img = good()
    img.notes = [note("Afterburn", 1, ab_desc()[:8])]
    add("note-short-descriptor", img, "refused: afterburn note: descriptor is 8 bytes, expected 12")
    img = good()
    img.notes = [note("Afterburn", 1, ab_desc(flags=0x80))]
    add("note-unknown-flags", img, "refused: afterburn note: unknown flags 0x80")
    img = good()
    img.notes = [struct.pack("<III", 10, 0x1000, 1) + b"Afterburn\0\0\0" + ab_desc()]
    add("note-overruns", img, "refused: section 2: the note at +0x0 overruns its section")
    img = good()
    img.note_copies = 300                  # 300 SHT_NOTE headers over one note
    img.notes = [note("Afterburn", 1, ab_desc()) + b"\0" * 64]
    add("note-sections-overlap", img,
        None)  # reason depends on the file size: filled in below
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "expected"), "w") as exp:
        for name, data, verdict in cases():
            if verdict is None:
                verdict = ("refused: the note sections hold more bytes than the file (%d): "
                           "overlapping notes" % len(data))
            with open(os.path.join(args.outdir, name), "wb") as f:
                f.write(data)
            exp.write("%s\t%s\n" % (name, verdict))


if __name__ == "__main__":
    main()
