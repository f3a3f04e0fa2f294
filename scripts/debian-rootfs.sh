#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian host of the rig: build/debian/rootfs.img, an ext4 image of
# Debian 12 (minbase, systemd as PID 1, udev, kexec-tools) with the
# product's packages from build/deb (make deb) and the Debian scenario's
# files (tests/debian) installed, for the VM to boot as /dev/vda.
#
# The Debian part comes from Debian's archive once, with mmdebstrap, and
# is cached in build/debian/base-KEY.tar (KEY: suite, packages,
# BASE_REV); the image is made anew from it on every call (seconds):
# unpacked, our packages installed with dpkg in a chroot, the test's
# units enabled, then written with mkfs.ext4 -d (no loop device).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
d=$B/debian
suite=bookworm
pkgs=systemd,systemd-sysv,udev,kexec-tools
BASE_REV=1
mkdir -p "$d"

key=$(printf '%s %s %s\n' "$suite" "$pkgs" "$BASE_REV" | sha256sum | cut -c1-12)
base=$d/base-$key.tar
if [ ! -f "$base" ]; then
	rm -rf "$d"/base-*.tar "$d"/part-*.tar
	echo "debian-rootfs: mmdebstrap $suite minbase + $pkgs, once (cached in $base)"
	mmdebstrap --quiet --mode=root --variant=minbase --include="$pkgs" \
		"$suite" "$d/part-$key.tar"	# .tar: mmdebstrap writes a tarball
	mv "$d/part-$key.tar" "$base"
fi

debs=("$B"/deb/khoctl_*.deb)
mapfile -t kdebs < <(ls "$B"/deb/linux-image-*.deb 2>/dev/null | grep -v -- -dbg_)
[ -f "${debs[0]}" ] && [ ${#kdebs[@]} = 1 ] ||
	{ echo "debian-rootfs: no packages in $B/deb (make deb first)" >&2; exit 1; }

root=$d/root
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "${kdebs[@]}" "$root/tmp/debs/"
chroot "$root" dpkg -i "/tmp/debs/$(basename "${debs[0]}")" \
	"/tmp/debs/$(basename "${kdebs[0]}")" \
	> "$d/dpkg.log" 2>&1 || { tail -20 "$d/dpkg.log" >&2; exit 1; }
rm -rf "$root/tmp/debs"

# the scenario's own files
install -m 0755 "$top/tests/debian/rig-step" "$root/usr/local/sbin/rig-step"
install -m 0644 "$top/tests/debian/rig-step.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/khoctl"
install -m 0644 "$top/tests/debian/rig.conf" "$top/tests/debian/victim.conf" \
	"$root/etc/khoctl/"
w=$root/etc/systemd/system/multi-user.target.wants
mkdir -p "$w"
ln -sf /etc/systemd/system/rig-step.service "$w/rig-step.service"
ln -sf /lib/systemd/system/khoctl-take@.service "$w/khoctl-take@rig.service"
ln -sf /lib/systemd/system/khoctl-take@.service "$w/khoctl-take@victim.service"
# a quiet, quick boot: no login prompts, no timers
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
	 apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
echo kho-host > "$root/etc/hostname"
echo "/dev/vda / ext4 rw 0 1" > "$root/etc/fstab"
: > "$root/etc/machine-id"

img=$d/rootfs.img
rm -f "$img"
truncate -s 1G "$img"
mkfs.ext4 -q -F -L kho-root -d "$root" "$img"
rm -rf "$root"
kver=$(basename "${kdebs[0]}" | sed 's/^linux-image-\([^_]*\)_.*/\1/')
echo "debian-rootfs: $img ($suite, systemd $(tar -xOf "$base" ./var/lib/dpkg/status |
	awk '/^Package: systemd$/ { p = 1 } p && /^Version:/ { print $2; exit }'), kernel $kver)"
