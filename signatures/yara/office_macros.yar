/*
    Office documents with macros.

    Office_OLE_AutoExec_Macro: a legacy OLE2 compound file (.doc, .xls, .ppt,
    .dot, .xla, or the vbaProject.bin inside an OOXML file once the archive
    is unpacked) holding a VBA project and the name of a procedure that Office
    runs by itself: on open, on close, on a new document. The procedure names
    are found in the clear in the VBA project's identifier table and p-code
    even though the source itself is compressed.

    Office_OOXML_Macro_Project: an Office Open XML package (.docm, .xlsm,
    .pptm, or a macro-enabled file renamed to .docx) that carries a
    vbaProject.bin part. libmagic reports such a file as a zip or as an OOXML
    type, never as "macro"; the member names in the zip directory are stored
    uncompressed, so the rule sees them without unpacking. Whether the macros
    auto-run is only visible inside vbaProject.bin, which the OLE rule covers
    when the pipeline expands the archive.
*/

rule Office_OLE_AutoExec_Macro
{
    meta:
        description = "OLE2 Office file with a VBA project and an auto-executing macro"
        severity = "high"
        author = "mailwarden"

    strings:
        // Directory entry names are UTF-16LE.
        $vba_project = "_VBA_PROJECT" wide
        $vba_dir = "PROJECTwm" wide

        $auto_open = "AutoOpen" ascii wide nocase
        $auto_us_open = "Auto_Open" ascii wide nocase
        $auto_exec = "AutoExec" ascii wide nocase
        $auto_new = "AutoNew" ascii wide nocase
        $auto_close = "AutoClose" ascii wide nocase
        $auto_us_close = "Auto_Close" ascii wide nocase
        $document_open = "Document_Open" ascii wide nocase
        $document_new = "Document_New" ascii wide nocase
        $document_close = "Document_Close" ascii wide nocase
        $workbook_open = "Workbook_Open" ascii wide nocase
        $workbook_activate = "Workbook_Activate" ascii wide nocase
        $workbook_close = "Workbook_BeforeClose" ascii wide nocase

    condition:
        uint32be(0) == 0xD0CF11E0 and uint32be(4) == 0xA1B11AE1 and
        any of ($vba_*) and
        any of ($auto_*, $document_*, $workbook_*)
}

rule Office_OOXML_Macro_Project
{
    meta:
        description = "Office Open XML package (docm/xlsm/pptm) carrying a VBA project"
        severity = "medium"
        author = "mailwarden"

    strings:
        $content_types = "[Content_Types].xml"
        $vba_part = /(word|xl|ppt)\/vbaProject\.bin/ nocase

    condition:
        uint32be(0) == 0x504B0304 and
        $content_types and
        $vba_part
}
