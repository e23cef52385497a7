"""Attachment bytes for the benchmark corpus, built by hand with the stdlib.

Each builder takes a seeded :class:`random.Random` and a target size, and returns a
small but structurally valid file of that format, close to the size asked for:

- :func:`png`: 8-bit RGB, a gradient with a band of noise (noise does not compress,
  so its height sets the size); chunks with their CRCs.
- :func:`jpeg`: baseline greyscale JFIF with our own quantisation and Huffman tables;
  every 8x8 block is a flat DC plus random AC coefficients, which gives a photo's
  entropy (and size) without a real photo.
- :func:`pdf`: PDF 1.4, Helvetica text pages (Flate-compressed content streams), an
  optional JPEG image XObject, and a cross-reference table with exact offsets.
- :func:`docx`: the three parts Word needs (content types, package relationships,
  the main document) plus an optional picture in ``word/media``.
- :func:`zip_archive`: a zip of text files, fixed member dates.

The same seed gives the same bytes on every run and machine.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence

#: Builds a file of one format of about the given size.
Maker = Callable[[random.Random, int], bytes]

#: Every zip member gets this date, so archives are reproducible.
ZIP_DATE = (2025, 3, 14, 9, 26, 53)

WORDS = (
    "account agenda agreement analysis annual approval attached available budget "
    "business call campaign change client comments confirm contract cost customer "
    "data deadline delivery department design details discuss document draft "
    "estimate event feedback figures final finance follow forecast forward group "
    "hiring invoice issue item launch legal list meeting milestone minutes month "
    "next note office onboarding order overview partner payment plan policy "
    "position presentation price priority process product project proposal "
    "purchase quarter question quote receipt report request review revenue risk "
    "room sales schedule service shipment signed slides status summary supplier "
    "support target team thanks ticket timeline today training travel update "
    "vendor version week workshop the a of to and for with on in by please we "
    "our you your this that will be is are can should would could have has "
    "from about at as it not all new last first regards best kind let me know"
).split()


def sentence(rng: random.Random, low: int = 6, high: int = 18) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, low: int = 2, high: int = 6) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def text_of_size(rng: random.Random, size: int) -> str:
    """Paragraphs of prose, about *size* characters, wrapped at 72 columns."""
    paragraphs: list[str] = []
    total = 0
    while total < size:
        wrapped = _wrap(paragraph(rng), 72)
        paragraphs.append(wrapped)
        total += len(wrapped) + 2
    return "\n\n".join(paragraphs) + "\n"


def _wrap(text: str, width: int) -> str:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


# --- PNG (ISO/IEC 15948) -------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(rng: random.Random, size: int) -> bytes:
    """An RGB PNG of about *size* bytes."""
    width = rng.choice((320, 480, 640, 800))
    noise_rows = max(1, size // (width * 3))
    height = noise_rows + rng.randint(16, 96)
    gradient = bytes((x * 255) // width for x in range(width) for _ in range(3))
    rows = [b"\0" + rng.randbytes(width * 3) for _ in range(noise_rows)]
    rows += [b"\0" + gradient] * (height - noise_rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _png_chunk(b"IEND", b"")
    )


# --- JPEG (ITU-T T.81, baseline, one component) ----------------------------------

#: Huffman tables with seven 3-bit codes each (000..110; the all-ones code is left
#: unused, as T.81 Annex C asks). DC: categories 0..6. AC: EOB and (run 0, size 1..6).
_CODE_COUNTS = bytes([0, 0, 7] + [0] * 13)
_DC_SYMBOLS = bytes(range(7))
_AC_SYMBOLS = bytes([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06])


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def _jpeg_block(rng: random.Random) -> str:
    """The entropy-coded bits of one 8x8 block: DC difference 0, random ACs, EOB."""
    bits = ["000"]  # DC category 0: the block keeps its neighbour's brightness
    for _ in range(rng.randint(3, 40)):
        category = rng.randint(1, 6)
        bits.append(format(category, "03b"))  # code index == symbol index
        bits.append(format(rng.getrandbits(category), f"0{category}b"))
    bits.append("000")  # EOB
    return "".join(bits)


def jpeg(rng: random.Random, size: int) -> bytes:
    """A greyscale baseline JPEG of about *size* bytes."""
    bank = [_jpeg_block(rng) for _ in range(64)]
    average_bits = sum(len(b) for b in bank) / len(bank)
    blocks = max(1, int(size * 8 / average_bits))
    columns = max(8, int((blocks * 4 / 3) ** 0.5))  # about 4:3
    rows = -(-blocks // columns)
    bits = "".join(rng.choices(bank, k=rows * columns))
    bits += "1" * (-len(bits) % 8)  # pad the last byte with ones (T.81 F.1.2.3)
    scan = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")

    jfif = b"JFIF\0" + struct.pack(">BBBHHBB", 1, 1, 0, 1, 1, 0, 0)
    quant = b"\x00" + bytes([4] * 64)
    frame = struct.pack(">BHHB", 8, rows * 8, columns * 8, 1) + b"\x01\x11\x00"
    huffman = (
        b"\x00" + _CODE_COUNTS + _DC_SYMBOLS + b"\x10" + _CODE_COUNTS + _AC_SYMBOLS
    )
    scan_header = b"\x01\x01\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + _segment(0xFFE0, jfif)
        + _segment(0xFFDB, quant)
        + _segment(0xFFC0, frame)
        + _segment(0xFFC4, huffman)
        + _segment(0xFFDA, scan_header)
        + scan
        + b"\xff\xd9"
    )


def jpeg_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height from the SOF0 segment of a JPEG made by :func:`jpeg`."""
    at = data.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", data[at + 5 : at + 9])
    return width, height


# --- PDF (ISO 32000-1, written as 1.4) -------------------------------------------


def pdf(rng: random.Random, size: int, image: bool = True) -> bytes:
    """A text PDF of about *size* bytes; half its budget is an image when asked."""
    objects: list[bytes] = []  # object n is objects[n - 1]
    picture = jpeg(rng, size // 2) if image and size > 8000 else b""
    text_budget = size - len(picture)
    # Flate compresses this prose about 3:1.
    pages = [_page_text(rng) for _ in range(max(1, text_budget * 3 // 4000))]

    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    image_number = 4 + 2 * len(pages)
    for index, content in enumerate(pages):
        xobject = ""
        if picture and index == 0:
            xobject = f" /XObject << /Im1 {image_number} 0 R >>"
            content = b"q 240 0 0 180 300 60 cm /Im1 Do Q\n" + content
        objects.append(
            (
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 3 0 R >>{xobject} >> "
                f"/Contents {5 + 2 * index} 0 R >>"
            ).encode()
        )
        objects.append(_stream(zlib.compress(content), "/Filter /FlateDecode"))
    if picture:
        width, height = jpeg_dimensions(picture)
        objects.append(
            _stream(
                picture,
                f"/Type /XObject /Subtype /Image /Width {width} /Height {height} "
                "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
            )
        )
    return _assemble_pdf(objects)


def _page_text(rng: random.Random) -> bytes:
    lines = [b"BT /F1 10 Tf 12 TL 56 740 Td"]
    for _ in range(rng.randint(30, 55)):
        lines.append(b"(" + sentence(rng, 8, 14).encode("ascii") + b") '")
    lines.append(b"ET")
    return b"\n".join(lines) + b"\n"


def _stream(data: bytes, dictionary: str) -> bytes:
    head = f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode()
    return head + data + b"\nendstream"


def _assemble_pdf(objects: Sequence[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


# --- Office Open XML (ECMA-376 Part 2, Open Packaging Conventions) ---------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    f'relationships"><Relationship Id="rId1" Type="{_RELS}/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
_DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    f'relationships"><Relationship Id="rId1" Type="{_RELS}/image" '
    'Target="media/image1.png"/></Relationships>'
)
_WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(rng: random.Random, size: int) -> bytes:
    """A Word document of about *size* bytes: paragraphs, maybe a picture."""
    text_budget = min(size, 12_000) * 3  # Flate shrinks the XML about 3:1
    paragraphs = []
    total = 0
    while total < text_budget:
        text = paragraph(rng)
        paragraphs.append(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
        total += len(text) + 40
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_WORD_NS}"><w:body>{"".join(paragraphs)}'
        "</w:body></w:document>"
    )
    members = [
        ("[Content_Types].xml", _CONTENT_TYPES.encode()),
        ("_rels/.rels", _PACKAGE_RELS.encode()),
        ("word/document.xml", document.encode()),
    ]
    if size > 16_000:
        members.append(("word/_rels/document.xml.rels", _DOCUMENT_RELS.encode()))
        members.append(("word/media/image1.png", png(rng, size - 12_000)))
    return _zip(members)


# --- zip (PKWARE APPNOTE) -----------------------------------------------------------


def zip_archive(rng: random.Random, size: int) -> bytes:
    """A zip of one to three text files whose compressed size is about *size*."""
    count = rng.randint(1, 3)
    names = rng.sample(("notes.txt", "minutes.txt", "figures.csv", "readme.txt"), count)
    members = []
    for name in names:
        if name.endswith(".csv"):
            body = _csv(rng, size * 3 // count)
        else:
            body = text_of_size(rng, size * 3 // count).encode()
        members.append((name, body))
    return _zip(members)


def zip_of(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip holding exactly *members* (name, bytes), deflated, fixed dates."""
    return _zip(members)


def _csv(rng: random.Random, size: int) -> bytes:
    rows = ["date,item,quantity,amount"]
    total = len(rows[0])
    while total < size:
        row = (
            f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
            f"{rng.choice(WORDS)},{rng.randint(1, 500)},{rng.randint(100, 99999) / 100}"
        )
        rows.append(row)
        total += len(row) + 1
    return ("\n".join(rows) + "\n").encode()


def _zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
