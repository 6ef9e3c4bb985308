#!/usr/bin/env bash
# Set up, build and run m-gpux on Debian 12.
#
#   ./setup.sh run    install missing packages, build (release preset), run the main job
#   ./setup.sh test   install missing packages, build (release preset), run every test
#
# Run as root, or as a user with sudo: packages come from
# packaging/debian-packages.txt and only the missing ones are installed.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-run}"
case "$mode" in
  run|test) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

# 1. Packages ---------------------------------------------------------------
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' packaging/debian-packages.txt | grep -v '^$')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. Build ------------------------------------------------------------------
export CCACHE_BASEDIR="$PWD"   # hits across clones in other folders
cmake --preset release
cmake --build --preset release

# 3. Main job or tests ------------------------------------------------------
if [ "$mode" = test ]; then
  ctest --preset release
else
  ./build/release/bin/m-gpux commands
  ./build/release/bin/m-gpux info
fi
