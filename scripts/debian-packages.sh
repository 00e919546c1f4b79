#!/usr/bin/env bash
# Install the Debian packages jiuzhu needs when they are missing:
#   chromium            browser tests (Playwright drives /usr/bin/chromium; no download)
#   fonts-noto-cjk      CJK fonts for PDFs (告知书, 核对报告, 花名册)
#   fontconfig          fc-match, which finds the font build_pdf_fonts cuts down
#   libharfbuzz-subset0 WeasyPrint font subsetting (without it a CJK page takes seconds)
#   poppler-utils       pdftotext/pdffonts, used by tests to check PDFs
set -euo pipefail
packages=(chromium fontconfig fonts-noto-cjk libharfbuzz-subset0 poppler-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "需要以root身份安装：${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
