#!/usr/bin/env bash
# Set up, build and run m-gpux on Debian 12.
#
#   ./setup.sh run    install missing packages, build (release preset), run the main job: host an
#                     example web app on the local backend and fetch it with curl
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

# 2. Boost 1.74 headers for tests/e2e/test_proxy_build.py ---------------------
# `serve deploy` compiles the native proxy on Ubuntu 22.04 CUDA images, whose Boost is 1.74; that
# test compiles the same sources against 1.74's headers. They are unpacked into build/deps, never
# installed (libboost1.74-dev conflicts with the 1.81 headers the build uses). A failure here is a
# warning only: the test then fails and says to run ./setup.sh again.
boost174_dir=build/deps/boost1.74
fetch_boost174() {
  [ -f "$boost174_dir/usr/include/boost/version.hpp" ] && return 0
  mkdir -p build/deps || return 1
  rm -f build/deps/libboost1.74-dev_*.deb
  if ! (cd build/deps && apt-get download -q libboost1.74-dev); then
    # Stale package lists: refresh them when we may (as root), then try once more.
    [ "$(id -u)" -eq 0 ] || return 1
    apt-get update -q || return 1
    (cd build/deps && apt-get download -q libboost1.74-dev) || return 1
  fi
  rm -rf "$boost174_dir.tmp"
  dpkg-deb -x build/deps/libboost1.74-dev_*.deb "$boost174_dir.tmp" || return 1
  rm -rf "$boost174_dir" && mv "$boost174_dir.tmp" "$boost174_dir" || return 1
  rm -f build/deps/libboost1.74-dev_*.deb
}
if [ "$mode" = test ] && ! fetch_boost174; then  # only the tests need them
  echo "setup: warning: could not fetch the Boost 1.74 headers into $boost174_dir;" \
       "e2e.test_proxy_build will fail until they are there" >&2
fi

# 3. Build ------------------------------------------------------------------
export CCACHE_BASEDIR="$PWD"   # hits across clones in other folders
cmake --preset release
cmake --build --preset release

# 4. Main job or tests ------------------------------------------------------
if [ "$mode" = test ]; then
  ctest --preset release
else
  # The main job: host the example WSGI app on the local backend (this machine, no Modal account),
  # talk to it with curl, and stop it. Its state goes to a throwaway folder, removed at the end.
  bin="$PWD/build/release/bin/m-gpux"
  demo_home="$(mktemp -d)"
  trap 'MGPUX_HOME="$demo_home" "$bin" --backend local --yes stop --all --select all >/dev/null 2>&1 || true; rm -rf "$demo_home"' EXIT
  export MGPUX_HOME="$demo_home"
  url="$("$bin" --backend local --yes --json host wsgi --project-dir examples/host-wsgi --entry app:app \
          --name quickstart --cpu 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')"
  echo "setup: the example app runs on this machine at $url"
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"title": "try m-gpux locally"}' "$url/api/tasks"; echo
  curl -fsS "$url/api/tasks"; echo
  "$bin" --backend local --yes stop --all --select all
fi
