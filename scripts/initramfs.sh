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
# On arm64, Debian's arm64 kexec-tools and its libraries, fetched with
# apt-get download (scripts/deps.sh adds the architecture) and unpacked
# under build/arm64/kexec-tools; the libraries it needs are found by
# following DT_NEEDED from /sbin/kexec.
A64_DEBS=(kexec-tools libc6 zlib1g libxenmisc4.17 libxentoollog1
	  libxencall1 libxenevtchn1 libxengnttab1 libxenforeignmemory1
	  libxendevicemodel1 libxentoolcore1)
if [ "${KCONFIG_VARIANT:-}" = arm64 ]; then
	kt=$B/arm64/kexec-tools
	if [ ! -x "$kt/root/sbin/kexec" ]; then
		rm -rf "$kt" && mkdir -p "$kt/debs" "$kt/root"
		if (cd "$kt/debs" &&
		    apt-get download -q "${A64_DEBS[@]/%/:arm64}" >/dev/null 2>&1); then
			for d in "$kt"/debs/*.deb; do
				dpkg-deb -x "$d" "$kt/root"
			done
		else
			echo "initramfs: WARNING: cannot fetch arm64 kexec-tools" \
			     "(apt-get download); the arm64 kexec_load" \
			     "scenario will fail" >&2
		fi
	fi
	if [ -x "$kt/root/sbin/kexec" ]; then
		# a library missing from A64_DEBS leaves kexec out (one
		# scenario fails, saying so) rather than the whole build
		klist=$B/arm64/kexec-tools.list missing=
		{
			echo "dir /sbin 0755 0 0"
			echo "file /sbin/kexec $kt/root/sbin/kexec 0755 0 0"
			echo "dir /lib 0755 0 0"
			echo "dir /lib/aarch64-linux-gnu 0755 0 0"
		} > "$klist"
		todo=("$kt/root/sbin/kexec") seen=" "
		while [ ${#todo[@]} -gt 0 ]; do
			f=${todo[0]} todo=("${todo[@]:1}")
			for n in $(aarch64-linux-gnu-readelf -d "$f" |
				   sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
				case "$seen" in *" $n "*) continue ;; esac
				seen="$seen$n "
				p=$(find "$kt/root/lib" "$kt/root/usr/lib" \
					-name "$n" -print -quit)
				if [ -z "$p" ]; then
					missing="$missing $n"
					continue
				fi
				todo+=("$(readlink -f "$p")")
				dst=/lib/aarch64-linux-gnu/$n
				[ "$n" = ld-linux-aarch64.so.1 ] && dst=/lib/$n
				echo "file $dst $(readlink -f "$p") 0755 0 0"
			done
		done >> "$klist"
		if [ -n "$missing" ]; then
			echo "initramfs: WARNING: arm64 kexec-tools left out:" \
			     "it needs$missing, not in ${A64_DEBS[*]}" >&2
		else
			cat "$klist" >> "$list"
		fi
	fi
fi
"$gic" "$list" > "$out.tmp"
if cmp -s "$out.tmp" "$out"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; fi
echo "initramfs: $out"

# The VM live update scenarios, demo and benchmark: the agent (khovm), the
# test guest and Debian's qemu-system-x86_64 with the libraries and
# firmware it opens, on an ext4 image of their own (build/vm-usr.img) that
# the rig attaches read-only as a virtio-blk disk (serial khovm-usr) and
# the scenario mounts at /usr in every generation. Not in an initramfs:
# every kexec would carry and unpack its 50 MiB, seconds of the reboot a
# VM waits through. Built with the plain x86 tools, once for all kernels.
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "${KCONFIG_VARIANT:-}" ] && [ -n "$qemu" ]; then
	make -s -C "$top/tools/khovm" B="$B"
	make -s -C "$top/tools/guest" B="$B"
	ulist=$B/vm-usr.list uimg=$B/vm-usr.img
	mods=/usr/lib/x86_64-linux-gnu/qemu
	# "path-on-the-image source", the image's root being /usr
	{
		echo "bin/khovm $B/tools/khovm"
		echo "share/khovm/guest.elf $B/tools/guest.elf"
		echo "bin/qemu-system-x86_64 $(readlink -f "$qemu")"
		# Debian builds TCG as a module QEMU loads at start
		echo "lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so $mods/accel-tcg-x86_64.so"
		for f in /usr/share/qemu/kvmvapic.bin /usr/share/qemu/multiboot_dma.bin \
			 /usr/share/qemu/linuxboot_dma.bin /usr/share/seabios/bios-256k.bin; do
			echo "${f#/usr/} $(readlink -f "$f")"
		done
		# the dynamic loader searches /usr/lib/x86_64-linux-gnu too
		ldd "$qemu" "$mods/accel-tcg-x86_64.so" |
		awk '/=>/ { print $3 }' |
		while read -r lib; do
			[ -f "$lib" ] && echo "lib/x86_64-linux-gnu/${lib##*/} $(readlink -f "$lib")"
		done
	} | awk '!seen[$1]++' |
	while read -r dst src; do
		echo "$dst $src $(stat -c %s.%Y "$src")"
	done > "$ulist.tmp"
	if [ -f "$uimg" ] && cmp -s "$ulist.tmp" "$ulist"; then
		rm "$ulist.tmp"
	else
		stage=$B/vm-usr
		rm -rf "$stage"
		while read -r dst src _; do
			mkdir -p "$stage/$(dirname "$dst")"
			cp -L "$src" "$stage/$dst"
		done < "$ulist.tmp"
		chmod 0755 "$stage/bin/"*
		kib=$(du -sk "$stage" | cut -f1)
		rm -f "$uimg"
		truncate -s "$((kib * 5 / 4 + 8192))k" "$uimg"
		# no journal: it is mounted read-only
		mkfs.ext4 -q -F -L khovm-usr -O ^has_journal -E root_owner=0:0 \
			-d "$stage" "$uimg"
		rm -rf "$stage"
		mv "$ulist.tmp" "$ulist"
	fi
	rm -f "$B/initramfs-vm.cpio" "$B/initramfs-vm.list"
	echo "initramfs: $uimg"
fi
