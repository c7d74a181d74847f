#!/usr/bin/env bash
# make deb: a Debian package of the built licsat, from a staged tree (dpkg-deb, no debhelper).
#
#   bash scripts/build-deb.sh [BUILD_DIR]        (default: build; prints the .deb's path last)
#
# The package holds /usr/bin/licsat (stripped), the unit /lib/systemd/system/licsat.service,
# the conffile /etc/licsat/licsat.toml and docs/operations.md; its maintainer scripts
# (packaging/deb/) create the user licsat and /var/lib/licsat (0700), keep data on remove and
# delete it on purge. Depends: what dpkg-shlibdeps finds the binary links (Debian packages only),
# and adduser. Output: BUILD_DIR/deb/licsat_VERSION_ARCH.deb.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$build/licsat"
[[ -x "$bin" ]] || { echo "build-deb: no $bin (build first: make build)" >&2; exit 2; }
version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
out="$(cd "$build" && pwd)/deb"
stage="$out/licsat_${version}_${arch}"
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/licsat" \
  "$stage/usr/share/doc/licsat"
install -m 0755 "$bin" "$stage/usr/bin/licsat"
strip --strip-unneeded "$stage/usr/bin/licsat"
install -m 0644 packaging/deb/licsat.service "$stage/lib/systemd/system/licsat.service"
install -m 0640 packaging/deb/licsat.toml "$stage/etc/licsat/licsat.toml"
install -m 0644 docs/operations.md "$stage/usr/share/doc/licsat/operations.md"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
echo /etc/licsat/licsat.toml >"$stage/DEBIAN/conffiles"

# dpkg-shlibdeps reads debian/control of a source tree: a minimal one in a scratch directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/debian"
printf 'Source: licsat\n\nPackage: licsat\nArchitecture: any\n' >"$scratch/debian/control"
shlibs=$(cd "$scratch" && dpkg-shlibdeps -O "$stage/usr/bin/licsat" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n "$shlibs" ]] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: licsat
Version: $version
Architecture: $arch
Maintainer: licsat maintainers <licsat@localhost>
Installed-Size: $size
Depends: $shlibs, adduser
Section: net
Priority: optional
Homepage: https://localhost/licsat
Description: on-premises smart-licensing server and manager-side sync client
 licsat serves network managers the licenses they own and takes their usage reports on the
 local network, in the vendor's API shapes; runs as the systemd service licsat.
CONTROL
deb="$out/licsat_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
