#!/usr/bin/env bash
# Install the Debian packages Baogong needs, when they are missing.
#   scripts/system-deps.sh run    what serving needs (WeasyPrint's Pango, a CJK font)
#   scripts/system-deps.sh test   that, plus a browser for the end-to-end tests, poppler, and
#                                 libfaketime (CI runs the suite again on another date)
# As root it installs them with apt-get; otherwise it prints the command to run and fails.
set -euo pipefail

purpose=${1:-run}
python=${PYTHON:-python3}
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-noto-cjk)
if [[ $purpose == test ]]; then
  packages+=(chromium poppler-utils faketime)
fi
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Baogong needs these system packages (Debian names): ${missing[*]}" >&2
  echo "Install them with your system's package manager, then run make again." >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "Baogong needs these system packages: ${missing[*]}" >&2
  echo "Run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
