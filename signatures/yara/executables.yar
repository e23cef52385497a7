/*
    Executables in attachments.

    A Windows PE, Linux ELF or macOS Mach-O image has no business in ordinary
    mail whatever the attachment is called: the attachment detector already
    blocks these when libmagic recognises them, and these rules say the same
    from the bytes so that a renamed or mis-typed one (invoice.pdf that is a
    PE) is caught twice over. Executable_PE_Embedded looks for a PE image that
    starts somewhere other than offset 0: glued behind a decoy header, stored
    in an uncompressed archive or packed into an OLE container.
*/

rule Executable_PE
{
    meta:
        description = "Windows PE executable: MZ header, PE signature at e_lfanew"
        severity = "high"
        author = "mailwarden"
        mailwarden_action = "reject"

    condition:
        filesize >= 0x40 and
        uint16(0) == 0x5A4D and
        uint32(0x3C) <= filesize - 4 and
        uint32(uint32(0x3C)) == 0x00004550
}

rule Executable_ELF
{
    meta:
        description = "ELF executable or shared object with valid class and byte order"
        severity = "high"
        author = "mailwarden"
        mailwarden_action = "reject"

    condition:
        filesize >= 52 and
        uint32(0) == 0x464C457F and
        (uint8(4) == 1 or uint8(4) == 2) and
        (uint8(5) == 1 or uint8(5) == 2) and
        uint8(6) == 1
}

rule Executable_MachO
{
    meta:
        description = "Mach-O executable: thin (32/64-bit, either byte order) or universal"
        severity = "high"
        author = "mailwarden"
        mailwarden_action = "reject"

    condition:
        filesize >= 28 and
        (
            uint32(0) == 0xFEEDFACE or uint32(0) == 0xCEFAEDFE or
            uint32(0) == 0xFEEDFACF or uint32(0) == 0xCFFAEDFE or
            // Universal binaries share CAFEBABE with Java class files; a
            // universal header holds a small architecture count where a class
            // file holds its version (major 45 and up).
            (uint32be(0) == 0xCAFEBABE and uint32be(4) > 0 and uint32be(4) < 20)
        )
}

rule Executable_PE_Embedded
{
    meta:
        description = "Windows PE image starting at a non-zero offset inside the part"
        severity = "high"
        author = "mailwarden"

    strings:
        // The DOS stub message: 0x4E bytes into images made by the Microsoft,
        // MinGW and most other linkers, 0x50 bytes into Borland/Delphi ones.
        // For a stub at @s the image starts at @s - 0x4E and its e_lfanew
        // field (image start + 0x3C) is at @s - 0x12; for Borland shift by 2.
        $stub_ms = "This program cannot be run in DOS mode"
        $stub_borland = "This program must be run under Win32"

    condition:
        not Executable_PE and
        (
            for any i in (1..#stub_ms) : (
                @stub_ms[i] > 0x4E and
                uint16(@stub_ms[i] - 0x4E) == 0x5A4D and
                uint32(@stub_ms[i] - 0x4E + uint32(@stub_ms[i] - 0x12))
                    == 0x00004550
            ) or
            for any i in (1..#stub_borland) : (
                @stub_borland[i] > 0x50 and
                uint16(@stub_borland[i] - 0x50) == 0x5A4D and
                uint32(@stub_borland[i] - 0x50 + uint32(@stub_borland[i] - 0x14))
                    == 0x00004550
            )
        )
}
