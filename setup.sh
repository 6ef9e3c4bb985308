#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Set up, build and run m-gpux on Debian 12.
#
#   ./setup.sh run    install missing packages, build (release preset), run the main job: train a
#                     small image classifier on this machine with the local backend
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
# MGPUX_WERROR=ON in the environment (CI sets it) builds with -Werror; MGPUX_PROXY_ASAN=ON (CI
# sets it too) also builds the proxy under AddressSanitizer and runs its behaviour suite against
# that build. Both off by default.
cmake --preset release ${MGPUX_WERROR:+"-DMGPUX_WERROR=$MGPUX_WERROR"} \
  ${MGPUX_PROXY_ASAN:+"-DMGPUX_PROXY_ASAN=$MGPUX_PROXY_ASAN"}
cmake --build --preset release

# 4. Main job or tests ------------------------------------------------------
if [ "$mode" = test ]; then
  ctest --preset release
else
  # The main job: train an image classifier on this machine with the local backend (no Modal
  # account, CPU only): a small generated dataset, one epoch, then the accuracy and the checkpoint.
  bin="$PWD/build/release/bin/m-gpux"
  data="$PWD/build/quickstart/shapes"
  "$bin" vision sample-data --output "$data" --force >/dev/null
  # Debian's Python, where the packages above put torch and torchvision.
  result="$(MGPUX_PYTHON=/usr/bin/python3 "$bin" --backend local --yes --json vision train --dataset "$data" --model resnet18 --cpu 2 \
             --epochs 1 --no-pretrained --image-size 64 --experiment-name quickstart --overwrite)"
  python3 - "$result" "${MGPUX_HOME:-$HOME/.m-gpux}" <<'PY'
import json, os, sys
run = json.loads(sys.argv[1])
checkpoint = os.path.join(sys.argv[2], "local", "volumes", run["artifact_volume"], run["artifact_path"],
                          "checkpoints", "best_model.pt")
print("setup: trained %s for %d epoch on this machine: validation accuracy %.1f %%"
      % (run["model_name"], run["epochs_completed"], 100 * run["best_val_accuracy"]))
print("setup: checkpoint: %s" % checkpoint)
PY
fi
