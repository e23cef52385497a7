/*
    HTML smuggling.

    An HTML (or SVG) attachment whose script rebuilds a file in the browser
    from data it carries and hands it to the user as a download: the payload
    never crosses the gateway as a file of its own, so neither the attachment
    rules nor an anti-virus engine see it. Both rules insist on several things
    at once that newsletters and ordinary web pages do not combine:
      - the part is HTML or SVG: by libmagic (filetype), by its Content-Type
        (declared_type) or by its extension;
      - something that makes a local file: a Blob, URL.createObjectURL or
        msSaveOrOpenBlob, or a data: URI of a binary type;
      - a download trigger: an anchor's download property or attribute, or
        msSaveOrOpenBlob;
      - for the Blob form, an embedded payload being decoded: atob, a byte
        array built with charCodeAt / Uint8Array, or a base64 data: URI.
*/

rule HTML_Smuggling_Blob_Download
{
    meta:
        description = "HTML/SVG attachment that assembles a Blob from an embedded payload and downloads it"
        severity = "high"
        author = "mailwarden"

    strings:
        $make_blob = /new\s+Blob\s*\(/
        $make_url = "createObjectURL"
        $make_ms = "msSaveOrOpenBlob"

        $save_property = /\.download\s*=/
        $save_attribute = /setAttribute\(\s*['"]download['"]/
        $save_ms = "msSaveOrOpenBlob"

        $payload_atob = /\batob\s*\(/
        $payload_charcode = "charCodeAt"
        $payload_bytes = "Uint8Array"
        $payload_data_uri = /;base64,[A-Za-z0-9+\/]{64}/

    condition:
        (
            filetype == "text/html" or filetype == "image/svg+xml" or
            declared_type == "text/html" or declared_type == "image/svg+xml" or
            extension matches /^(s?html?|xhtml|svg)$/
        ) and
        any of ($make_*) and
        any of ($save_*) and
        any of ($payload_*)
}

rule HTML_Smuggling_DataURI_Download
{
    meta:
        description = "HTML/SVG attachment with a download link to a base64 data: URI of a binary type"
        severity = "high"
        author = "mailwarden"

    strings:
        $data_binary = /data:application\/(octet-stream|zip|x-zip-compressed|x-msdownload|x-msdos-program|x-iso9660-image|x-rar-compressed|x-7z-compressed|vnd\.ms-|vnd\.openxmlformats|java-archive|hta)[^,"'>]{0,40};base64,[A-Za-z0-9+\/]{64}/ nocase

        $save_property = /\.download\s*=/
        $save_attribute = /setAttribute\(\s*['"]download['"]/
        $save_html = /<a\s[^>]{0,2000}\bdownload\b/ nocase

    condition:
        (
            filetype == "text/html" or filetype == "image/svg+xml" or
            declared_type == "text/html" or declared_type == "image/svg+xml" or
            extension matches /^(s?html?|xhtml|svg)$/
        ) and
        $data_binary and
        any of ($save_*)
}
