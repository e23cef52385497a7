# The sample texts are real prose: Chinese with full-width punctuation, English with
# typographic dashes and apostrophes. Replacing them with ASCII look-alikes would
# make the samples less realistic, so RUF001 is off for this file.
# ruff: noqa: RUF001
"""The samples that must be accepted or tagged: ordinary mail and DLP material.

Each function returns one Sample; ``why`` names the finding that decides its
outcome (or why there is none), and samples/README.md repeats it.
"""

from __future__ import annotations

from . import payloads
from .compose import (
    ALICE,
    LI_MING_GB2312,
    LI_MING_UTF8,
    NEWS,
    Leaf,
    Sample,
    alternative,
    attachment,
    mixed,
    text,
)


def _plain_text() -> Sample:
    return Sample(
        outcome="accept",
        name="plain-text",
        sender=ALICE,
        subject="Lunch on Thursday?",
        date="Mon, 04 Nov 2024 09:12:41 +0100",
        body=text(
            "Hi,\n\nAre we still on for lunch on Thursday? The new place on Elm\n"
            "Street opens at noon; I can book a table for four.\n\nAlice\n"
        ),
        why="nothing to find: short ASCII text",
    )


_NEWSLETTER_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sender Weekly – November</title>
<style>
  body { margin: 0; background: #f4f4f4; font-family: Arial, sans-serif; }
  .card { max-width: 600px; margin: 0 auto; background: #ffffff; padding: 24px; }
  .button { display: inline-block; padding: 10px 18px; background: #1a73e8;
            color: #ffffff; text-decoration: none; border-radius: 4px; }
</style>
<script type="application/ld+json">
{"@context": "http://schema.org", "@type": "EmailMessage",
 "potentialAction": {"@type": "ViewAction",
   "url": "https://news.sender.test/2024/11", "name": "Read online"}}
</script>
</head>
<body>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
<tr><td class="card">
  <img src="https://news.sender.test/img/header.png" width="600" alt="Sender Weekly">
  <h1>What’s new in November</h1>
  <p>Our autumn meetup is on 21 November in Lyon. Talks cover mail
     authentication, caching at the edge and a retrospective of the year.</p>
  <p><a class="button" href="https://news.sender.test/meetup">Reserve a seat</a></p>
  <h2>Agenda</h2>
  <p>The full programme is available as a calendar file:
     <a href="https://news.sender.test/meetup/agenda.ics" download>agenda.ics</a>.</p>
  <hr>
  <p style="font-size: 12px; color: #777777;">You receive this because you
     subscribed at sender.test.
     <a href="https://news.sender.test/unsubscribe?u=4f2a9c">Unsubscribe</a> ·
     <a href="https://news.sender.test/preferences">Preferences</a></p>
</td></tr>
</table>
</body>
</html>
"""


def _html_newsletter() -> Sample:
    plain = (
        "What's new in November\n\nOur autumn meetup is on 21 November in Lyon.\n"
        "Reserve a seat: https://news.sender.test/meetup\n\n"
        "Unsubscribe: https://news.sender.test/unsubscribe?u=4f2a9c\n"
    )
    return Sample(
        outcome="accept",
        name="html-newsletter",
        sender=NEWS,
        subject="Sender Weekly – November meetup",
        date="Tue, 05 Nov 2024 07:00:00 +0000",
        body=alternative(text(plain), text(_NEWSLETTER_HTML, "html", "utf-8")),
        why="nothing to find: a newsletter with CSS, schema.org JSON-LD and a plain "
        "download link, none of which is smuggling",
        extra_headers=(
            ("List-Unsubscribe", "<https://news.sender.test/unsubscribe?u=4f2a9c>"),
        ),
    )


def _pdf_attachment() -> Sample:
    pdf = payloads.pdf_document(
        (
            "Meeting notes - 4 November 2024",
            "Present: Alice, Bob, Chen",
            "1. Move the staging servers to the new rack.",
            "2. Review the on-call rota before December.",
        )
    )
    return Sample(
        outcome="accept",
        name="pdf-attachment",
        sender=ALICE,
        subject="Notes from Monday's meeting",
        date="Mon, 04 Nov 2024 16:45:03 +0100",
        body=mixed(
            text("Hi all,\n\nThe notes from today's meeting are attached.\n\nAlice\n"),
            attachment("meeting-notes.pdf", "application/pdf", pdf),
        ),
        why="nothing to find: a one-page PDF whose declared and detected types agree",
    )


_INVITE = """\
BEGIN:VCALENDAR
PRODID:-//sender.test//Calendar 2.1//EN
VERSION:2.0
METHOD:REQUEST
BEGIN:VEVENT
UID:team-sync-2024-11-12@sender.test
DTSTAMP:20241105T101500Z
DTSTART:20241112T140000Z
DTEND:20241112T143000Z
SUMMARY:Team sync
LOCATION:Room 3 / https://meet.sender.test/team-sync
ORGANIZER;CN=Alice Martin:mailto:alice@sender.test
ATTENDEE;CN=Someone;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:
 mailto:someone@example.test
SEQUENCE:0
STATUS:CONFIRMED
END:VEVENT
END:VCALENDAR
"""


def _calendar_invite() -> Sample:
    return Sample(
        outcome="accept",
        name="calendar-invite",
        sender=ALICE,
        subject="Invitation: Team sync @ Tue 12 Nov 15:00",
        date="Tue, 05 Nov 2024 11:15:00 +0100",
        body=alternative(
            text("Team sync\nTuesday 12 November, 15:00-15:30 (CET)\nRoom 3\n"),
            Leaf(
                'text/calendar; charset="utf-8"; method=REQUEST',
                _INVITE.replace("\n", "\r\n").encode(),
                "base64",
            ),
        ),
        why="nothing to find: an iTIP REQUEST as Outlook and Google send it",
    )


def _docx_attachment() -> Sample:
    docx = payloads.docx_document(
        (
            "Quarterly plan",
            "Ship the new onboarding flow.",
            "Hire two support engineers.",
        )
    )
    return Sample(
        outcome="accept",
        name="docx-attachment",
        sender=ALICE,
        subject="Quarterly plan (draft)",
        date="Wed, 06 Nov 2024 10:02:17 +0100",
        body=mixed(
            text("Draft plan attached, comments welcome by Friday.\n"),
            attachment(
                "quarterly-plan.docx",
                "application/vnd.openxmlformats-"
                "officedocument.wordprocessingml.document",
                docx,
            ),
        ),
        why="nothing to find: a .docx without vbaProject.bin",
    )


def _png_image() -> Sample:
    return Sample(
        outcome="accept",
        name="png-image",
        sender=ALICE,
        subject="Photo from the offsite",
        date="Thu, 07 Nov 2024 18:30:55 +0100",
        body=mixed(
            text("The view from the terrace, as promised.\n"),
            attachment("offsite.png", "image/png", payloads.png_image()),
        ),
        why="nothing to find: a PNG named and declared as one",
    )


_REPORT_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Storage usage, October</title>
<script>
  // Exported by the monitoring tool: a table, and a button that saves it as CSV.
  function request() {
    return window.XMLHttpRequest ? new XMLHttpRequest()
                                 : new ActiveXObject("Microsoft.XMLHTTP");
  }
  function exportCsv() {
    var rows = [];
    var cell = /<td>([^<]*)<\\/td>/g;
    document.querySelectorAll("tr").forEach(function (tr) {
      var values = [], match;
      while ((match = cell.exec(tr.innerHTML)) !== null) { values.push(match[1]); }
      rows.push(values.join(","));
    });
    var blob = new Blob([rows.join("\\n")], {type: "text/csv"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "storage-usage.csv";
    link.click();
  }
</script>
</head>
<body>
<h1>Storage usage, October</h1>
<table>
<tr><td>volume</td><td>used GB</td></tr>
<tr><td>mail-01</td><td>412</td></tr>
<tr><td>mail-02</td><td>389</td></tr>
</table>
<button onclick="exportCsv()">Export CSV</button>
</body>
</html>
"""


def _html_report() -> Sample:
    return Sample(
        outcome="accept",
        name="html-report-attachment",
        sender=ALICE,
        subject="Storage usage report, October",
        date="Fri, 08 Nov 2024 07:15:00 +0100",
        body=mixed(
            text("The monthly storage report is attached.\n"),
            attachment("storage-usage.html", "text/html", _REPORT_HTML.encode()),
        ),
        why="nothing to find: an HTML report whose script saves a CSV through a Blob"
        " and falls back to ActiveXObject for XMLHTTP, but decodes no payload",
    )


def _confidential_marking() -> Sample:
    return Sample(
        outcome="tag",
        name="confidential-marking",
        sender=ALICE,
        subject="CONFIDENTIAL: board pack draft v2",
        date="Fri, 08 Nov 2024 08:55:10 +0100",
        body=text(
            "CONFIDENTIAL - DO NOT DISTRIBUTE\n\nBoard members,\n\n"
            "Below are the headline numbers for the December board meeting.\n"
            "Revenue is up 12% on the quarter; the Lyon office opens in March.\n\n"
            "Alice\n"
        ),
        why="DLP keywords CONFIDENTIAL and DO NOT DISTRIBUTE in the text part",
    )


_ZH_SUBJECT = "机密：第四季度销售数据"
_ZH_BODY = (
    "各位同事：\n\n附件为第四季度销售数据，属于公司机密，请勿转发。\n\n谢谢！\n李明\n"
)
_GB_SUBJECT = "内部资料：新产品发布计划（机密）"
_GB_BODY = "各位同事：\n\n新产品发布计划属于内部资料（机密），请勿外传。\n\n市场部\n"


def _confidential_zh_utf8() -> Sample:
    return Sample(
        outcome="tag",
        name="confidential-zh-utf8",
        sender=LI_MING_UTF8,
        subject=_ZH_SUBJECT,
        date="Mon, 11 Nov 2024 10:20:00 +0800",
        body=text(_ZH_BODY, charset="utf-8", encoding="base64"),
        why="DLP keyword 机密 in a UTF-8 (base64) text part; also in the subject",
    )


def _confidential_zh_gb2312() -> Sample:
    return Sample(
        outcome="tag",
        name="confidential-zh-gb2312",
        sender=LI_MING_GB2312,
        subject=_GB_SUBJECT,
        date="Mon, 11 Nov 2024 11:05:00 +0800",
        body=text(_GB_BODY, charset="gb2312", encoding="base64"),
        why="DLP keywords 内部资料 and 机密 in a GB2312 text part (and subject)",
        subject_charset="gb2312",
    )


def _card_number() -> Sample:
    return Sample(
        outcome="tag",
        name="card-number",
        sender=ALICE,
        subject="Deposit for the venue",
        date="Tue, 12 Nov 2024 14:03:22 +0100",
        body=text(
            "Hi Sam,\n\nPlease charge the venue deposit to our company card:\n"
            "4111 1111 1111 1111, expiry 09/27, name A. Martin.\n\nThanks,\nAlice\n"
        ),
        why="a Luhn-valid card number in the text part",
    )


def _png_disguised_as_pdf() -> Sample:
    return Sample(
        outcome="tag",
        name="png-disguised-as-pdf",
        sender=ALICE,
        subject="Report",
        date="Wed, 13 Nov 2024 09:41:00 +0100",
        body=mixed(
            text("Here is the report you asked for.\n"),
            attachment("report.pdf", "application/pdf", payloads.png_image(64, 40)),
        ),
        why="type mismatch: named and declared PDF, detected image/png",
    )


SAMPLES: tuple[Sample, ...] = (
    _plain_text(),
    _html_newsletter(),
    _pdf_attachment(),
    _calendar_invite(),
    _docx_attachment(),
    _png_image(),
    _html_report(),
    _confidential_marking(),
    _confidential_zh_utf8(),
    _confidential_zh_gb2312(),
    _card_number(),
    _png_disguised_as_pdf(),
)
