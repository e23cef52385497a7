"""Attachment bytes for the demonstration mails, built from scratch with the stdlib.

Every builder is deterministic (fixed timestamps, fixed zip dates, no randomness),
so ``build.py`` regenerates byte-identical mails and a reviewer can read here what
each binary fixture holds. None of them does anything when opened:

- ``pe_image``: a 1 KB Windows PE32 whose only code is ``xor eax, eax; ret``.
- ``ole_macro_document``: an OLE2 compound file with a VBA project's stream names
  and the identifier ``AutoOpen``; its "macro" is an empty routine and Word would
  not run it (there is no valid ``dir`` stream).
- ``eicar``: the industry anti-virus test string, rebuilt from reversed pieces at
  run time so that no file in the checkout trips a developer's own scanner.
"""

from __future__ import annotations

import base64
import io
import itertools
import struct
import zipfile
import zlib
from dataclasses import dataclass

#: Every zip member gets this date, so archives are byte-for-byte reproducible.
ZIP_DATE = (2024, 11, 4, 9, 30, 0)

#: The EICAR test file, reversed and split so that no raw copy exists on disk.
_EICAR_REVERSED = (
    "*H+H$!ELIF-TSET-",
    "SURIVITNA-DRADNATS-RACIE$}7)CC7)^P(45XZP",
    "\\4[PA@%P!O5X",
)


def eicar() -> bytes:
    """The 68-byte EICAR anti-virus test file."""
    return "".join(_EICAR_REVERSED)[::-1].encode("ascii")


# --- executables -------------------------------------------------------------------

_DOS_STUB = bytes.fromhex("0e1fba0e00b409cd21b8014ccd21") + (
    b"This program cannot be run in DOS mode.\r\r\n$"
)


def _packed(fields: list[tuple[str, int | bytes]]) -> bytes:
    """Little-endian struct fields given as (format code, value) pairs."""
    return struct.pack(
        "<" + "".join(code for code, _ in fields), *(v for _, v in fields)
    )


def pe_image(gui: bool = True, timestamp: int = 0x65A0B1C2) -> bytes:
    """A minimal, harmless PE32 for i386: one .text section, ``xor eax,eax; ret``.

    The layout follows the PE/COFF specification: DOS header with ``e_lfanew`` at
    0x3C, the standard DOS stub (its message 0x4E bytes in), ``PE\\0\\0`` at 0x80,
    the COFF header, a PE32 optional header with 16 empty data directories, one
    section header; headers padded to FileAlignment 0x200.
    """
    # Header tables: fields grouped as the specification lists them.
    # fmt: off
    dos = _packed([
        ("2s", b"MZ"), ("H", 0x90), ("H", 3), ("H", 0), ("H", 4),  # sizes, paragraphs
        ("H", 0), ("H", 0xFFFF), ("H", 0), ("H", 0xB8),  # alloc, SS, SP
        ("H", 0), ("H", 0), ("H", 0), ("H", 0x40), ("H", 0),  # csum, IP, CS, relocs
        ("32s", b""), ("I", 0x80),  # reserved, e_lfanew
    ])
    coff = _packed([
        ("4s", b"PE\0\0"), ("H", 0x014C), ("H", 1),  # i386, one section
        ("I", timestamp), ("I", 0), ("I", 0),  # no symbol table
        ("H", 0xE0), ("H", 0x0102),  # optional header size; executable, 32-bit
    ])
    optional = _packed([
        ("H", 0x010B), ("B", 14), ("B", 0),  # PE32, linker version
        ("I", 0x200), ("I", 0), ("I", 0),  # size of code, data, bss
        ("I", 0x1000), ("I", 0x1000), ("I", 0x2000),  # entry, code, data bases
        ("I", 0x00400000), ("I", 0x1000), ("I", 0x200),  # image base, alignments
        ("H", 6), ("H", 0), ("H", 0), ("H", 0), ("H", 6), ("H", 0),  # versions
        ("I", 0), ("I", 0x2000), ("I", 0x200), ("I", 0),  # image and header sizes
        ("H", 2 if gui else 3), ("H", 0x8500),  # subsystem; NX, no SEH, TS aware
        ("I", 0x100000), ("I", 0x1000), ("I", 0x100000), ("I", 0x1000),  # stack, heap
        ("I", 0), ("I", 16), ("128s", b""),  # flags, 16 empty data directories
    ])
    section = _packed([
        ("8s", b".text"), ("I", 3), ("I", 0x1000),  # virtual size and address
        ("I", 0x200), ("I", 0x200), ("I", 0), ("I", 0),  # raw size and offset
        ("H", 0), ("H", 0), ("I", 0x60000020),  # code, execute, read
    ])
    # fmt: on
    stub = _DOS_STUB.ljust(0x40, b"\0")
    headers = (dos + stub + coff + optional + section).ljust(0x200, b"\0")
    return headers + bytes.fromhex("31c0c3").ljust(0x200, b"\0")


def firmware_blob() -> bytes:
    """A vendor-style update container: a text header, padding, then a PE image.

    libmagic calls it ``application/octet-stream``; only a search for a PE that
    starts past offset 0 finds the executable inside.
    """
    header = b"ACMEFW01\0\0\0\0" + b"model=RT-2400;version=4.2.1;build=20241104\n"
    return header.ljust(0x200, b"\xff") + pe_image(gui=False, timestamp=0x6728A1B0)


# --- images and documents ------------------------------------------------------------


def png_image(width: int = 48, height: int = 32) -> bytes:
    """A small RGB PNG: a blue-to-green gradient with a white diagonal."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "none"
        for x in range(width):
            white = abs(x * height - y * width) < width
            rows += b"\xff\xff\xff" if white else bytes((20, 80 + 3 * y, 200 - 2 * x))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def pdf_document(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF 1.4 showing *lines* in Helvetica, with a correct xref table."""
    text = (
        "BT /F1 12 Tf 72 720 Td 16 TL "
        + " ".join(
            "("
            + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            + ") '"
            for line in lines
        )
        + " ET"
    )
    stream = text.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def zip_archive(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, data) pairs in the given order, with fixed dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def _word_package(paragraphs: tuple[str, ...], macros: bytes | None) -> bytes:
    main_type = (
        "application/vnd.ms-word.document.macroEnabled.main+xml"
        if macros
        else f"{_DOC_TYPE}.document.main+xml"
    )
    vba_default = (
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        if macros
        else ""
    )
    content_types = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{vba_default}'
        f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_R}/officeDocument" '
        'Target="word/document.xml"/>'
        "</Relationships>"
    )
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
    )
    members = [
        ("[Content_Types].xml", content_types.encode()),
        ("_rels/.rels", rels.encode()),
        ("word/document.xml", document.encode()),
    ]
    if macros:
        doc_rels = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG}/relationships">'
            '<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/'
            'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'
        )
        members += [
            ("word/_rels/document.xml.rels", doc_rels.encode()),
            ("word/vbaProject.bin", macros),
        ]
    return zip_archive(members)


def docx_document(paragraphs: tuple[str, ...]) -> bytes:
    """A minimal valid .docx (WordprocessingML) without macros."""
    return _word_package(paragraphs, macros=None)


def docm_document(paragraphs: tuple[str, ...]) -> bytes:
    """A .docm: the same package plus ``word/vbaProject.bin`` (an auto-open project)."""
    return _word_package(paragraphs, macros=vba_project())


# --- OLE2 compound files ------------------------------------------------------------

_SECTOR = 512
_MINI = 64
_FREE, _END_OF_CHAIN, _FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NO_STREAM = 0xFFFFFFFF
#: CLSID of a Word 97-2003 document, stored in the root directory entry.
WORD_CLSID = bytes.fromhex("0609020000000000c000000000000046")

#: A storage: names mapped to stream bytes or to nested storages.
Tree = dict[str, "bytes | Tree"]


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    child: int = _NO_STREAM
    right: int = _NO_STREAM
    start: int = 0
    size: int = 0
    clsid: bytes = bytes(16)

    def pack(self) -> bytes:
        name = self.name.encode("utf-16-le") + b"\0\0"
        # Header tables: fields grouped as the specification lists them.
        # fmt: off
        return _packed([
            ("64s", name), ("H", len(name)), ("B", self.kind), ("B", 1),  # black
            ("I", _NO_STREAM), ("I", self.right), ("I", self.child),  # siblings, child
            ("16s", self.clsid), ("I", 0), ("Q", 0), ("Q", 0),  # state bits, times
            ("I", self.start), ("I", self.size), ("I", 0),
        ])
        # fmt: on


def compound_file(tree: Tree, clsid: bytes = bytes(16)) -> bytes:
    """An OLE2 / Compound File Binary (MS-CFB, version 3) holding *tree*.

    Every stream is smaller than the 4096-byte cutoff, so all of them live in the
    mini stream. Siblings are chained through their right-sibling pointers in the
    order MS-CFB sorts names (shorter first, then upper-cased), which readers
    accept as a degenerate red-black tree.
    """
    entries = [_Entry("Root Entry", 5, clsid=clsid)]
    ministream = bytearray()
    minifat: list[int] = []

    def add(name: str, node: bytes | Tree) -> int:
        index = len(entries)
        entry = _Entry(name, 2)
        entries.append(entry)
        if isinstance(node, dict):
            entry.kind, entry.child = 1, chain(node)
            return index
        first, count = len(minifat), max(1, -(-len(node) // _MINI))
        minifat.extend([*range(first + 1, first + count), _END_OF_CHAIN])
        ministream.extend(node.ljust(count * _MINI, b"\0"))
        entry.start, entry.size = first, len(node)
        return index

    def chain(children: Tree) -> int:
        order = sorted(children, key=lambda name: (len(name), name.upper()))
        indexes = [add(name, children[name]) for name in order]
        for left, right in itertools.pairwise(indexes):
            entries[left].right = right
        return indexes[0] if indexes else _NO_STREAM

    entries[0].child = chain(tree)
    return _layout(entries, bytes(ministream), minifat)


def _layout(entries: list[_Entry], ministream: bytes, minifat: list[int]) -> bytes:
    """Sector 0 holds the FAT, then come the directory, mini FAT and mini stream."""
    directory_sectors = -(-len(entries) * 128 // _SECTOR)
    ministream = ministream.ljust(-(-len(ministream) // _SECTOR) * _SECTOR, b"\0")
    runs = [directory_sectors, 1, len(ministream) // _SECTOR]
    fat, starts = [_FAT_SECTOR], []
    for count in runs:
        starts.append(len(fat))
        fat.extend([*range(len(fat) + 1, len(fat) + count), _END_OF_CHAIN])
    fat.extend([_FREE] * (_SECTOR // 4 - len(fat)))
    entries[0].start, entries[0].size = starts[2], len(ministream)

    # Header tables: fields grouped as the specification lists them.
    # fmt: off
    header = _packed([
        ("8s", bytes.fromhex("d0cf11e0a1b11ae1")), ("16s", b""),  # signature, CLSID
        ("H", 0x003E), ("H", 0x0003), ("H", 0xFFFE),  # version 3, little-endian
        ("H", 9), ("H", 6), ("6s", b""),  # 512-byte sectors, 64-byte mini sectors
        ("I", 0), ("I", 1), ("I", starts[0]),  # directory sectors (v3: 0), FAT sectors
        ("I", 0), ("I", 4096), ("I", starts[1]), ("I", 1),  # mini stream cutoff, FAT
        ("I", _END_OF_CHAIN), ("I", 0),  # no DIFAT sectors
        ("I", 0), ("432s", b"\xff" * 432),  # DIFAT: the FAT is sector 0
    ])
    # fmt: on
    directory = b"".join(e.pack() for e in entries).ljust(
        directory_sectors * _SECTOR, b"\0"
    )
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat).ljust(_SECTOR, b"\xff")
    return header + struct.pack("<128I", *fat) + directory + minifat_bytes + ministream


def _vba_compress_literal(source: bytes) -> bytes:
    """MS-OVBA compression using only literal tokens (valid, just not smaller)."""
    out = bytearray(b"\x01")
    for start in range(0, len(source), 4096):
        chunk = source[start : start + 4096]
        body = bytearray()
        for i in range(0, len(chunk), 8):
            body += b"\x00" + chunk[i : i + 8]
        out += struct.pack("<H", 0xB000 | (len(body) - 1)) + body
    return bytes(out)


_MACRO_SOURCE = (
    b'Attribute VB_Name = "ThisDocument"\r\n'
    b'Attribute VB_Base = "1Normal.ThisDocument"\r\n'
    b"Sub AutoOpen()\r\n"
    b"    ' mailwarden sample: an auto-executing macro that does nothing\r\n"
    b"End Sub\r\n"
)


def _vba_storage() -> Tree:
    """The streams of a VBA project, as Office keeps them in a document.

    ``ThisDocument`` starts with an identifier table in the clear (as the p-code
    cache of a real project does) naming ``AutoOpen``, followed by the
    literal-only compressed source.
    """
    identifiers = b"".join(
        struct.pack("<H", len(name)) + name for name in (b"ThisDocument", b"AutoOpen")
    )
    return {
        "VBA": {
            "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x03\x00",
            "ThisDocument": b"\xcc\x61\xff\xff"
            + identifiers
            + _vba_compress_literal(_MACRO_SOURCE),
        },
        "PROJECT": b'ID="{5B2E1F00-0000-4000-8000-00000000B0B0}"\r\n'
        b'Document=ThisDocument/&H00000000\r\nName="Project"\r\n',
        # Module names, once in the code page and once in UTF-16LE.
        "PROJECTwm": b"ThisDocument\0" + "ThisDocument".encode("utf-16-le") + bytes(4),
    }


def vba_project() -> bytes:
    """``vbaProject.bin`` of a macro-enabled OOXML document: the VBA storage alone."""
    return compound_file(_vba_storage())


def ole_macro_document() -> bytes:
    """A Word 97-2003 .doc with a ``Macros`` storage holding an auto-open project."""
    word_document = struct.pack("<HH", 0xA5EC, 0x00C1).ljust(1024, b"\0")
    return compound_file(
        {"WordDocument": word_document, "1Table": bytes(512), "Macros": _vba_storage()},
        clsid=WORD_CLSID,
    )


def base64_lines(data: bytes, width: int = 76) -> str:
    """Base64 text cut into *width*-character lines (MIME and HTML payloads)."""
    encoded = base64.b64encode(data).decode("ascii")
    return "\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))


def utf16_base64(command: str) -> str:
    """A PowerShell ``-EncodedCommand`` argument: base64 of the UTF-16LE text."""
    return base64.b64encode(command.encode("utf-16-le")).decode("ascii")
