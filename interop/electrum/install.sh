#!/usr/bin/env bash
# Installs what tests/electrum_channels.rs runs, from the registries only:
#
#   - Electrum 4.3.4 from Debian (`electrum`, `python3-electrum`) and the
#     libsecp256k1 it loads (`libsecp256k1-1`), fetched with `apt-get
#     download` and unpacked with `dpkg -x` (nothing is installed system-wide);
#   - a venv with Electrum's Python dependencies (electrum-requirements.txt);
#   - a venv with the Electrum server e-x 1.16.0 and plyvel
#     (e-x-requirements.txt; e-x needs aiorpcX 0.18, Electrum 0.22).
#
# Usage: install.sh [DIR]. DIR defaults to <target dir>/electrum of the
# workspace (so `cargo clean` resets it). Idempotent: a stamp file records
# what was installed (a hash of this script and the requirement files), and
# a second run with the same stamp returns at once. Prints the layout the
# test reads:
#
#   DIR/root/usr/bin/electrum                     Electrum's launcher
#   DIR/root/usr/lib/python3/dist-packages        PYTHONPATH
#   DIR/root/usr/lib/x86_64-linux-gnu             LD_LIBRARY_PATH
#   DIR/electrum-venv/bin/python                  runs Electrum
#   DIR/e-x-venv/bin/python, bin/electrumx_server runs e-x
#
# PYTHON (default python3, 3.9 or newer) makes the venvs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
dir="${1:-${CARGO_TARGET_DIR:-$workspace/target}/electrum}"
python="${PYTHON:-python3}"

stamp_of() {
    cat "$here/install.sh" "$here/electrum-requirements.txt" "$here/e-x-requirements.txt" |
        sha256sum | cut -d' ' -f1
}
stamp="$(stamp_of)"

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
# One installer at a time (the test and .ci/run may both call this).
exec 9>"$dir/.lock"
flock 9

if [[ -f "$dir/installed" && "$(cat "$dir/installed")" == "$stamp" ]]; then
    echo "electrum install: up to date in $dir"
    exit 0
fi

started=$SECONDS
echo "electrum install: installing into $dir"
rm -rf "$dir/debs" "$dir/root" "$dir/electrum-venv" "$dir/e-x-venv" "$dir/installed"
mkdir -p "$dir/debs" "$dir/root"

# Debian packages. A fresh machine may have no package lists yet (or stale
# ones pointing at a superseded version): update them once and retry.
packages=(electrum python3-electrum libsecp256k1-1)
# As root, apt drops to its `_apt` user to download, which may not be able to
# write into the target directory: download as root then (quietly).
sandbox=()
[[ $EUID -eq 0 ]] && sandbox=(-o APT::Sandbox::User=root)
download() { (cd "$dir/debs" && apt-get download -q "${sandbox[@]}" "${packages[@]}"); }
if ! download; then
    echo "electrum install: apt-get download failed; running apt-get update and retrying"
    apt-get update -q
    download
fi
for deb in "$dir"/debs/*.deb; do
    dpkg -x "$deb" "$dir/root"
done
electrum_version="$(dpkg-deb -f "$dir"/debs/python3-electrum_*.deb Version)"
case "$electrum_version" in
4.3.4*) ;;
*)
    echo "electrum install: Debian's python3-electrum is $electrum_version, the test is written for 4.3.4" >&2
    exit 1
    ;;
esac
test -f "$dir/root/usr/bin/electrum"
test -f "$dir/root/usr/lib/x86_64-linux-gnu/libsecp256k1.so.1"

# The venvs.
"$python" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' ||
    { echo "electrum install: $python is too old (3.9 or newer needed)" >&2; exit 1; }
for venv in electrum e-x; do
    "$python" -m venv "$dir/$venv-venv"
    "$dir/$venv-venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input -r "$here/$venv-requirements.txt"
done

# Smoke checks: Electrum imports with its native library, e-x is there.
PYTHONPATH="$dir/root/usr/lib/python3/dist-packages" \
    LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" \
    "$dir/electrum-venv/bin/python" "$dir/root/usr/bin/electrum" version --offline
"$dir/e-x-venv/bin/python" -c 'import electrumx, plyvel; print("e-x", electrumx.version)'

echo "$stamp" >"$dir/installed"
echo "electrum install: done in $((SECONDS - started)) s"
