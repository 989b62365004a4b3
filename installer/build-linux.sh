#!/usr/bin/env bash
# Builds the one-folder bundle and, from it, a Debian package — with Debian's own tools only.
#
#   installer/build-linux.sh            dist/concerndesk/ and dist/concerndesk_<version>_<arch>.deb
#   installer/build-linux.sh --no-deb   dist/concerndesk/ only
#
# Needs python3 (3.11+) with venv, and dpkg-deb. Build on the oldest distribution you support:
# the bundle carries this machine's libraries (see installer/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

make_deb=1
case "${1:-}" in
  --no-deb) make_deb=0 ;;
  "") ;;
  *) echo "usage: installer/build-linux.sh [--no-deb]" >&2; exit 2 ;;
esac

# The bundle is built in a virtual environment of its own, installed only from the lock files
# (every package pinned, with its SHA-256): what ships is what was reviewed, not whatever the
# index serves today. Regenerate them after changing pyproject.toml (installer/README.md).
PY=build/venv/bin/python
base=python3
command -v python3.11 >/dev/null && base=python3.11
rm -rf build/venv
"$base" -m venv build/venv
"$PY" -m pip install -q --no-deps --require-hashes -r installer/locks/runtime.lock \
  -r installer/locks/build.lock
"$PY" -m pip check >/dev/null || { "$PY" -m pip check >&2; exit 1; }

# Refuse to build with keyrings.alt installed: it must never ship (ENVIRONMENT.md).
if "$PY" -c 'import keyrings.alt' 2>/dev/null; then
  echo "keyrings.alt is installed in the build environment: it must never ship" >&2
  exit 1
fi

"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  installer/concerndesk.spec

bundle=dist/concerndesk
for program in concerndesk concerndesk-cli concerndesk-frontdoor; do
  [ -x "$bundle/$program" ] || { echo "missing $bundle/$program" >&2; exit 1; }
done
if find "$bundle" -path '*keyrings*' | grep -q .; then
  echo "keyrings.alt found in the bundle: refusing to ship it" >&2
  exit 1
fi
"$bundle/concerndesk-cli" --version
echo "bundle: $bundle ($(du -sh "$bundle" | cut -f1))"

[ "$make_deb" = 1 ] || exit 0

version=$("$PY" -c 'from app import __version__; print(__version__)')
arch=$(dpkg --print-architecture)
# The bundle carries this machine's libraries, so it needs at least this machine's glibc.
libc=$(dpkg-query -W -f='${Version}' libc6 | cut -d- -f1)
root=build/deb/concerndesk
rm -rf build/deb
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
  "$root/usr/share/doc/concerndesk/examples" "$root/usr/share/icons/hicolor/scalable/apps"

cp -a "$bundle" "$root/opt/concerndesk"
for program in concerndesk concerndesk-cli concerndesk-frontdoor; do
  ln -s "/opt/concerndesk/$program" "$root/usr/bin/$program"
done
install -m 644 installer/linux/concerndesk.desktop "$root/usr/share/applications/"
install -m 644 resources/icons/concerndesk.svg "$root/usr/share/icons/hicolor/scalable/apps/"
for size in 16 24 32 48 64 128 256; do
  dir="$root/usr/share/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  install -m 644 "resources/icons/concerndesk-$size.png" "$dir/concerndesk.png"
done
install -m 644 installer/linux/copyright "$root/usr/share/doc/concerndesk/copyright"
install -m 644 installer/frontdoor/concerndesk-frontdoor.service installer/frontdoor/nginx.conf \
  installer/frontdoor/POSTGRES.md "$root/usr/share/doc/concerndesk/examples/"
install -m 644 installer/README.md "$root/usr/share/doc/concerndesk/INSTALL.md"

# Files 644 and directories 755, except the programs and the shared libraries Python loads.
find "$root" -type d -exec chmod 755 {} +
find "$root" -type f -exec chmod u+rw,go+r,go-w {} +

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@LIBC@/$libc/" \
  installer/linux/control.in > "$root/DEBIAN/control"
chmod 644 "$root/DEBIAN/control"
# No maintainer scripts: the desktop and icon caches are refreshed by dpkg triggers, and
# nothing in a user's data directory is ever touched on install, upgrade or removal.

deb="dist/concerndesk_${version}_${arch}.deb"
# zstd -9: ~20 s and ~115 MB here; xz (CONCERNDESK_DEB_COMPRESS=-Zxz) saves ~20 MB but takes
# ~4 minutes on 2 cores. dpkg reads zstd since 1.21.18 (Debian 12, Ubuntu 22.04).
# shellcheck disable=SC2086
dpkg-deb --root-owner-group ${CONCERNDESK_DEB_COMPRESS:--Zzstd -z9} --build "$root" "$deb" >/dev/null
echo "package: $deb ($(du -h "$deb" | cut -f1))"
