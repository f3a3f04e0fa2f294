#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: the product as Debian packages, in build/deb/:
#   khoctl_VERSION_amd64.deb   khoctl (dynamic, Debian's hardening flags),
#                              its man page, the khoctl-keep@/-take@
#                              systemd units, the JSON schemas
#   linux-image-RELEASE_..._amd64.deb  the kernel with the series:
#                              bindeb-pkg of the plain x86 test kernel
#                              (build/kernel: the VM config with what
#                              systemd needs), or of KCONFIG_VARIANT's
# then lintian on each; an error fails. "deb.sh --tools" builds only
# khoctl's package (no kernel build).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
out=$B/deb
variant=${KCONFIG_VARIANT:-}
maint="KHO for Linux 6.12 <kho@example.org>"
mkdir -p "$out"

# the version: the commit's date and hash (native: no Debian revision)
if git -C "$top" rev-parse HEAD >/dev/null 2>&1; then
	ver=0+git$(git -C "$top" log -1 --format=%cd --date=format:%Y%m%d).$(git -C "$top" rev-parse --short=8 HEAD)
	when=$(git -C "$top" log -1 --format=%cD)
else
	ver=0+unknown when=$(date -R)
fi

tools_deb() {
	local root=$B/deb/khoctl-root doc cf
	rm -rf "$root"
	mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
		"$root/lib/systemd/system"
	doc=$root/usr/share/doc/khoctl
	mkdir -p "$doc"
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	cf=$(dpkg-buildflags --get CFLAGS)
	# in the environment: the Makefile adds its own flags to these
	CFLAGS="$cf" CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
		LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
		make -s -C "$top/tools/khoctl" B="$B" STATIC= OUT="$B/deb/khoctl" -B
	install -m 0755 "$B/deb/khoctl" "$root/usr/bin/khoctl"
	strip --remove-section=.comment --remove-section=.note \
		"$root/usr/bin/khoctl"
	gzip -9n < "$top/packaging/khoctl/khoctl.1" > "$root/usr/share/man/man1/khoctl.1.gz"
	install -m 0644 "$top"/packaging/khoctl/*.service "$root/lib/systemd/system/"
	# the schemas: the admin guide's section, as it is
	# (up to the next top-level heading: a line of '=' ends it)
	awk '/^khoctl for fleet tooling$/ { on = 1 }
	     on && /^=+$/ { exit }
	     on && seen { print prev }
	     on { prev = $0; seen = 1 }' "$top/linux/Documentation/kho/admin-guide.rst" \
		> "$doc/fleet-tooling.rst"
	[ -s "$doc/fleet-tooling.rst" ] ||
		{ echo "deb: no 'khoctl for fleet tooling' in the admin guide" >&2; exit 1; }
	chmod 0644 "$doc/fleet-tooling.rst"
	cat > "$doc/copyright" <<-COPY
	Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
	Upstream-Name: khoctl
	Comment: part of KHO for Linux 6.12 (Kexec HandOver and live update)

	Files: *
	Copyright: 2026 the KHO for Linux 6.12 authors
	License: GPL-2
	 This program is free software; you can redistribute it and/or modify
	 it under the terms of the GNU General Public License version 2 as
	 published by the Free Software Foundation.
	 .
	 On Debian systems, the full text of the GNU General Public License
	 version 2 can be found in the file /usr/share/common-licenses/GPL-2.
	COPY
	printf 'khoctl (%s) unstable; urgency=medium\n\n  * Built from commit %s of KHO for Linux 6.12.\n\n -- %s  %s\n' \
		"$ver" "${ver##*.}" "$maint" "$when" | gzip -9n > "$doc/changelog.gz"
	local size libc
	size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
	libc=$(dpkg-query -W -f='${Version}' libc6 | sed 's/-.*//')
	cat > "$root/DEBIAN/control" <<-CTRL
	Package: khoctl
	Version: $ver
	Architecture: $(dpkg --print-architecture)
	Maintainer: $maint
	Installed-Size: $size
	Depends: libc6 (>= $libc)
	Recommends: kexec-tools
	Section: admin
	Priority: optional
	Description: Kexec HandOver (KHO) and live update control
	 khoctl inspects and drives Kexec HandOver on a Linux 6.12 kernel with
	 the KHO series: what the running kernel hands to the kernel it kexecs
	 into, and the live update sessions of /dev/liveupdate that keep
	 memfds across the kexec with zero copy. It prints JSON for fleet
	 tooling and checks whether a kexec now would lose something.
	 .
	 The systemd units khoctl-keep@.service and khoctl-take@.service keep
	 files across "systemctl kexec" and take them back in the next boot.
	CTRL
	(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' |
		sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
	chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"
	find "$root" -type d -exec chmod 0755 {} +
	rm -f "$out"/khoctl_*.deb
	dpkg-deb --root-owner-group -Zxz --build "$root" \
		"$out/khoctl_${ver}_$(dpkg --print-architecture).deb" >/dev/null
	echo "deb: $(ls "$out"/khoctl_*.deb)"
}

kernel_deb() {
	local kout=$B/kernel${variant:+-$variant}
	KCONFIG_VARIANT=$variant "$top/scripts/kernel.sh"
	rm -f "$B"/linux-image-*.deb "$B"/linux-libc-dev_*.deb \
		"$B"/linux-headers-*.deb "$B"/linux-upstream_*
	make -s -C "$B/linux" O="$kout" -j"$(nproc)" \
		CC="$(command -v ccache >/dev/null && echo 'ccache gcc' || echo gcc)" \
		KDEB_PKGVERSION="$(cat "$top/linux/SOURCE_VERSION")+kho$(echo "$ver" | sed 's/^0+git//')" \
		KDEB_CHANGELOG_DIST=unstable DEBEMAIL="kho@example.org" \
		DEBFULLNAME="KHO for Linux 6.12" bindeb-pkg >"$kout/deb.log" 2>&1 ||
		{ tail -20 "$kout/deb.log" >&2; exit 1; }
	rm -f "$out"/linux-image-*.deb
	mv "$B"/linux-image-*.deb "$out/"
	rm -f "$B"/linux-libc-dev_*.deb "$B"/linux-headers-*.deb \
		"$B"/linux-upstream_* 2>/dev/null || true
	echo "deb: $(ls "$out"/linux-image-*.deb | grep -v dbg)"
}

lint() {
	local d rc=0
	for d in "$@"; do
		if ! lintian --fail-on error --suppress-tags-from-file \
			"$top/packaging/lintian-suppress" "$d" > "$d.lintian" 2>&1; then
			echo "deb: lintian errors in $(basename "$d"):" >&2
			grep '^E:' "$d.lintian" >&2 || cat "$d.lintian" >&2
			rc=1
		fi
		echo "deb: lintian $(basename "$d"): $(grep -c '^E:' "$d.lintian" || true) errors, $(grep -c '^W:' "$d.lintian" || true) warnings"
	done
	return $rc
}

tools_deb
if [ "${1:-}" = --tools ]; then
	lint "$out"/khoctl_*.deb
	exit
fi
kernel_deb
lint "$out"/khoctl_*.deb $(ls "$out"/linux-image-*.deb | grep -v -- -dbg_)
