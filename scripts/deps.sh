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
      "linux-source-6.12")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
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
echo "deps: installing ${missing[*]}"
pin=$(cat "$(dirname "$0")/../linux/SOURCE_VERSION")
inst=()
for p in "${missing[@]}"; do
	if [ "$p" = linux-source-6.12 ]; then
		if apt-cache madison linux-source-6.12 | grep -qF " $pin "; then
			p="linux-source-6.12=$pin"
		else
			echo "deps: WARNING: linux-source-6.12 $pin is no longer offered;" \
			     "using the newest 6.12 apt has" >&2
		fi
	fi
	inst+=("$p")
done
apt-get install -y -q --no-install-recommends "${inst[@]}"
