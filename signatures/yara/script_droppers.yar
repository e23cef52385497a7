/*
    Script droppers.

    Script that fetches or unpacks a second stage and runs it: VBScript and
    JScript for the Windows Script Host (attachments, HTA, or text a victim is
    told to save and run), and PowerShell launch lines and download cradles.
    Each rule needs a combination (something that executes together with
    something that fetches or decodes) so that a mail merely mentioning
    PowerShell or quoting one command is left alone. An IT mail that pastes a
    complete download-and-run one-liner (a package manager's install line,
    for instance) does hit Script_PowerShell_Download_Cradle; quarantine and
    release is the intended handling for that rare case.
*/

rule Script_PowerShell_EncodedCommand
{
    meta:
        description = "PowerShell started with -EncodedCommand (any abbreviation) and a base64 payload"
        severity = "high"
        author = "mailwarden"

    strings:
        // -e, -ec, -en, -enc, ... -encodedcommand; "-" or "/"; then base64.
        $launch = /(powershell|pwsh)(\.exe)?["']?[^\r\n]{0,200}[\s"'][-\/]e(c|nc?o?d?e?d?c?o?m?m?a?n?d?)?\s+["']?[A-Za-z0-9+\/]{40}/ nocase ascii wide

    condition:
        $launch
}

rule Script_PowerShell_Download_Cradle
{
    meta:
        description = "PowerShell that downloads or decodes code and runs it in memory"
        severity = "high"
        author = "mailwarden"

    strings:
        $fetch_webclient = "Net.WebClient" nocase ascii wide
        $fetch_string = "DownloadString" nocase ascii wide
        $fetch_data = "DownloadData" nocase ascii wide
        $fetch_iwr = "Invoke-WebRequest" nocase ascii wide
        $fetch_irm = "Invoke-RestMethod" nocase ascii wide
        $fetch_bits = "Start-BitsTransfer" nocase ascii wide
        $decode_base64 = "FromBase64String" nocase ascii wide

        $run_iex = "Invoke-Expression" nocase ascii wide
        $run_iex_alias = /(^|[|;(\s])iex[\s(;]/ nocase ascii wide
        $run_assembly = "Reflection.Assembly]::Load" nocase ascii wide
        $run_scriptblock = "[ScriptBlock]::Create" nocase ascii wide

    condition:
        (any of ($fetch_*) or $decode_base64) and any of ($run_*)
}

rule Script_WSH_Dropper
{
    meta:
        description = "VBScript/JScript that drives WScript.Shell or Shell.Application to fetch or run a payload"
        severity = "high"
        author = "mailwarden"

    strings:
        // The COM objects that run programs. ActiveXObject / CreateObject alone
        // are no evidence: old browser code makes XMLHTTP objects with them.
        $host_shell = "WScript.Shell" nocase ascii wide
        $host_app = "Shell.Application" nocase ascii wide

        $act_http = "XMLHTTP" nocase ascii wide
        $act_winhttp = "WinHttp.WinHttpRequest" nocase ascii wide
        $act_stream = "ADODB.Stream" nocase ascii wide
        $act_save = "SaveToFile" nocase ascii wide
        $act_run = /\.(Run|Exec|ShellExecute)\s*[\( ]/ nocase ascii wide
        $act_powershell = "powershell" nocase ascii wide
        $act_cmd = /cmd(\.exe)?\s+\/c\s/ nocase ascii wide

    condition:
        filesize < 5MB and
        not uint16(0) == 0x5A4D and
        any of ($host_*) and
        2 of ($act_*)
}
