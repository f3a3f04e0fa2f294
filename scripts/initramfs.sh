#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the VM's initramfs: our static /init (tools/init), the tools, and
# the bzImage the chain kexecs into. Uses the kernel's gen_init_cpio, so
# no root rights are needed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
kdir=$B/kernel${KCONFIG_VARIANT:+-$KCONFIG_VARIANT}
out=$B/initramfs${KCONFIG_VARIANT:+-$KCONFIG_VARIANT}.cpio
tb=$B image=arch/x86/boot/bzImage kernel=/boot/bzImage
if [ "${KCONFIG_VARIANT:-}" = arm64 ]; then
	# the tools cross-built, under build/arm64/tools
	tb=$B/arm64 image=arch/arm64/boot/Image kernel=/boot/Image
	make -s -C "$top/tools" B="$tb" CC=aarch64-linux-gnu-gcc
	make -s -C "$top/tools/khoctl" B="$tb" KSRC="$B/linux" \
		CC=aarch64-linux-gnu-gcc
else
	make -s -C "$top/tools" B="$B"
	make -s -C "$top/tools/khoctl" B="$B"
fi
gic=$B/tools/gen_init_cpio
[ "$gic" -nt "$B/linux/usr/gen_init_cpio.c" ] ||
	gcc -O2 -o "$gic" "$B/linux/usr/gen_init_cpio.c"

list=$B/initramfs.list
cat > "$list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0555 0 0
dir /sys 0555 0 0
dir /tmp 1777 0 0
dir /boot 0755 0 0
dir /bin 0755 0 0
file /init $tb/tools/init 0755 0 0
file /bin/khoctl $tb/tools/khoctl 0755 0 0
file $kernel $kdir/$image 0644 0 0
LIST
# Debian's kexec-tools and the libraries it needs, for the scenario that
# drives the kexec_load path with its documented options.
kexec=$(command -v kexec || true)
[ -z "$kexec" ] && [ -x /usr/sbin/kexec ] && kexec=/usr/sbin/kexec
if [ -n "$kexec" ] && [ "${KCONFIG_VARIANT:-}" != arm64 ]; then
	echo "dir /sbin 0755 0 0" >> "$list"
	echo "file /sbin/kexec $kexec 0755 0 0" >> "$list"
	for d in /lib /lib64 /lib/x86_64-linux-gnu; do
		echo "dir $d 0755 0 0" >> "$list"
	done
	ldd "$kexec" | awk '/=>/ { print $3 } /^[ \t]*\/lib64/ { print $1 }' |
	while read -r lib; do
		[ -f "$lib" ] && echo "file $lib $(readlink -f "$lib") 0755 0 0"
	done | sort -u >> "$list"
fi
"$gic" "$list" > "$out.tmp"
if cmp -s "$out.tmp" "$out"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; fi
echo "initramfs: $out"
