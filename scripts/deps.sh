#!/usr/bin/env bash
# scripts/deps.sh [--bench] — installs the Debian packages holdfast needs to
# build and test (and, with --bench, to run the side-by-side benchmark),
# only those that are missing. Needs root (or sudo) when something is missing.
set -euo pipefail
pkgs=(gcc make clang libclang-rt-14-dev clang-format pkg-config libsodium-dev libzstd-dev libssl-dev
	libmagic-dev libzip-dev zlib1g-dev libdeflate-dev liblzma-dev libbz2-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev
	libqpdf-dev libseccomp-dev libmpg123-dev libmicrohttpd-dev libcurl4-openssl-dev libexpat1-dev
	libpoppler-glib-dev libgmime-3.0-dev acl attr python3 openssl util-linux gnupg strace curl
	# detection tests (tests/detect/): the benign corpus, the churn and the attack tools
	python3-docx python3-openpyxl python3-odf python3-reportlab python3-pil qpdf
	p7zip-full age ccrypt zip zstd xz-utils bzip2 gzip tzdata lame id3v2
	# holdfast watch (tests/cli/51): benign workloads
	sqlite3 git rsync
	# the incident report's HTML is rendered in tests/cli/55-report.sh
	chromium)
[ "${1:-}" = "--bench" ] && pkgs+=(restic borgbackup time rclone)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
APT=($SUDO apt-get -o DPkg::Lock::Timeout=600 -y -qq)
if ! "${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null; then
	"${APT[@]}" update >/dev/null
	"${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
fi
