#!/usr/bin/env bash
# Install everything mailwarden's tests and dev stack need on Debian 12 (as root).
#
#   1. Debian packages: libmilter, libmagic, Postfix, clamd, m4, Redis, … (apt)
#   2. Sendmail, unpacked from its .debs into /opt/mailwarden-sendmail; it is
#      never installed with apt, which would remove Postfix
#   3. the system user and group "mailwarden"; user postfix joins the group so
#      Postfix's smtpd can reach the milter's socket
#   4. the virtualenv .venv with mailwarden installed editable, plus test tools
#
# Idempotent and quick when nothing changed: every step first checks whether its
# result is already there.  Usage: bash scripts/install.sh
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$(pwd)"
started=$SECONDS

APT_PACKAGES=(
    libmilter-dev libmagic1 postfix clamav-daemon clamav m4 libwrap0 liblockfile1
    redis-server python3-venv python3-dev gcc
)
SENDMAIL_DEBS=(sendmail-bin sendmail-base sendmail-cf)
SENDMAIL_ROOT=/opt/mailwarden-sendmail
# The venv is built on Debian's Python: the milter drops privileges to user
# mailwarden, who must be able to read the interpreter and its standard library
# (a Python under /root, mode 0700, breaks every import made after the drop).
PYTHON=/usr/bin/python3
VENV="$REPO/.venv"

log() { printf 'install: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
    log "must run as root" >&2
    exit 1
fi

all_installed() {
    local status
    for package in "$@"; do
        status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) || return 1
        [[ $status == "install ok installed" ]] || return 1
    done
}

install_apt_packages() {
    if all_installed "${APT_PACKAGES[@]}"; then
        log "Debian packages already installed"
        return
    fi
    log "installing Debian packages: ${APT_PACKAGES[*]}"
    # Postfix would otherwise ask which kind of mail server this is.
    echo "postfix postfix/main_mailer_type select No configuration" |
        debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}"
}

install_sendmail() {
    local version stamp
    version=$(apt-cache policy sendmail-bin | awk '/Candidate:/ {print $2}')
    if [[ -z $version || $version == "(none)" ]]; then
        apt-get update -q
        version=$(apt-cache policy sendmail-bin | awk '/Candidate:/ {print $2}')
    fi
    stamp="$SENDMAIL_ROOT/.mailwarden-version"
    if [[ -x $SENDMAIL_ROOT/usr/libexec/sendmail/sendmail && -f $stamp ]] &&
        [[ $(cat "$stamp") == "$version" ]]; then
        log "Sendmail $version already unpacked in $SENDMAIL_ROOT"
        return
    fi
    log "unpacking Sendmail $version into $SENDMAIL_ROOT"
    local work
    work=$(mktemp -d)
    # apt downloads as user _apt, which needs to write the folder.
    chown _apt "$work" 2>/dev/null || chmod 0777 "$work"
    (cd "$work" && apt-get download -q "${SENDMAIL_DEBS[@]}")
    mkdir "$work/root"
    for deb in "$work"/*.deb; do
        dpkg-deb -x "$deb" "$work/root"
    done
    echo "$version" >"$work/root/.mailwarden-version"
    rm -rf "$SENDMAIL_ROOT"
    mv "$work/root" "$SENDMAIL_ROOT"
    chmod 0755 "$SENDMAIL_ROOT"
    rm -rf "$work"
}

create_user() {
    if ! getent group mailwarden >/dev/null; then
        log "creating system group mailwarden"
        addgroup --quiet --system mailwarden
    fi
    if ! getent passwd mailwarden >/dev/null; then
        log "creating system user mailwarden"
        adduser --quiet --system --ingroup mailwarden --no-create-home \
            --home /nonexistent --shell /usr/sbin/nologin mailwarden
    fi
    if ! id -nG postfix | tr ' ' '\n' | grep -qx mailwarden; then
        log "adding user postfix to group mailwarden"
        adduser --quiet postfix mailwarden
    fi
}

create_venv() {
    local stamp wanted
    stamp="$VENV/.mailwarden-install"
    wanted="$($PYTHON --version) $(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [[ -f $stamp && $(cat "$stamp") == "$wanted" && -x $VENV/bin/mailwarden ]] &&
        [[ $(readlink -f "$VENV/bin/python") == $(readlink -f "$PYTHON") ]]; then
        log "virtualenv .venv is up to date"
        return
    fi
    if [[ ! -x $VENV/bin/python ]] ||
        [[ $(readlink -f "$VENV/bin/python") != $(readlink -f "$PYTHON") ]]; then
        log "creating .venv with $PYTHON"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    log "installing mailwarden (editable) and the test tools into .venv"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[test]'
    echo "$wanted" >"$stamp"
}

install_apt_packages
install_sendmail
create_user
create_venv
log "done in $((SECONDS - started)) s"
