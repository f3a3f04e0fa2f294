#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, with apt, whatever the build, the VM rig and the tests need.
# Does nothing when everything is already there, so every entry point of
# the Makefile can call it.
set -euo pipefail

PKGS=(build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils
      rsync python3 ccache qemu-system-x86 kexec-tools device-tree-compiler
      libfdt-dev clang libclang-rt-14-dev python3-ply python3-git
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
      dpkg-dev debhelper kmod lintian mmdebstrap e2fsprogs
      "linux-source-6.12")

pin=$(cat "$(dirname "$0")/../linux/SOURCE_VERSION")
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
# linux-source-6.12 must be the pinned version, not merely present: a
# machine that still has an older (or newer) one would hide a series
# that no longer applies to the pin.
src_have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
src_fix=0
if [ -n "$src_have" ] && [ "$src_have" != "$pin" ]; then
	src_fix=1
	missing+=(linux-source-6.12)
fi
# the arm64 rig takes Debian's arm64 kexec-tools (apt-get download, in
# scripts/initramfs.sh): apt must know the arm64 packages
foreign=1
for a in $(dpkg --print-foreign-architectures); do
	[ "$a" = arm64 ] && foreign=0
done
[ ${#missing[@]} -eq 0 ] && [ $foreign -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ $foreign -eq 1 ] &&
		echo "deps: WARNING: no arm64 kexec-tools for the arm64 rig;" \
		     "as root: dpkg --add-architecture arm64 && apt-get update" >&2
	[ $src_fix -eq 1 ] &&
		echo "deps: linux-source-6.12 $src_have installed, the series is pinned to $pin;" \
		     "as root: apt-get install --allow-downgrades linux-source-6.12=$pin" >&2
	[ ${#missing[@]} -eq 0 ] && exit 0
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ $foreign -eq 1 ]; then
	echo "deps: adding arm64 to apt's architectures (for arm64 kexec-tools)"
	dpkg --add-architecture arm64
fi
apt-get update -qq
[ ${#missing[@]} -eq 0 ] && exit 0
inst=()
for p in "${missing[@]}"; do
	if [ "$p" = linux-source-6.12 ]; then
		if apt-cache madison linux-source-6.12 | awk '{print $3}' | grep -xF "$pin" >/dev/null; then
			p="linux-source-6.12=$pin"
		else
			newest=$(apt-cache madison linux-source-6.12 | awk 'NR==1 {print $3}')
			echo "deps: WARNING: linux-source-6.12 $pin (the series' pin) is no longer" \
			     "in the archive; installing the newest, ${newest:-none}" >&2
		fi
	fi
	inst+=("$p")
done
echo "deps: installing ${inst[*]}"
apt-get install -y -q --no-install-recommends --allow-downgrades "${inst[@]}"
