#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_khovm_cli - khovm (its ASan/UBSan build, next to this script) on
# this machine with Debian's QEMU and the test guest (tools/guest), no
# live update: argument errors, "khovm rehearse" then "save-to" and
# "restore-from" of a running guest (the guest must carry on: same boot
# id, pass count further on, no bad word), with its RAM in a shmem memfd
# and in 2 MiB hugetlb pages (the pool's counters checked, a VM too big
# for the pool refused with the pool's figures). The hugetlb cases need
# root and a 2 MiB pool size; the pool is grown for them and put back.
# With a 1 GiB pool size and a free GiB, a 1 GiB guest in one 1 GiB page
# is started and rehearsed too.
# Prints kselftest TAP.

D=$(cd "$(dirname "$0")" && pwd)
K=${KHOVM:-$D/khovm}
GUEST=${KHOVM_GUEST:-$D/guest.elf}
QEMU=${KHOVM_QEMU:-qemu-system-x86_64}
T=$(mktemp -d /tmp/khovm-cli-XXXXXX) || exit 1
POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
POOL1G=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
pool0=
pool1g=
export KHOVM_DIR=$T/vms KHOVM_QEMU=$QEMU
export ASAN_OPTIONS=exitcode=99:detect_leaks=0
export UBSAN_OPTIONS=exitcode=99:print_stacktrace=1:halt_on_error=1
export LC_ALL=C

cleanup() {
	local p
	for p in "$KHOVM_DIR"/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	sleep 0.2
	[ -n "$pool0" ] && echo "$pool0" >"$POOL" 2>/dev/null
	[ -n "$pool1g" ] && echo "$pool1g" >"$POOL1G" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

TOOL=khovm
# shellcheck source=../cli-tap.sh
. "$D/cli-tap.sh"

# t FUNCTION DESCRIPTION [hugetlb|hugetlb1g]: one TAP line; "hugetlb"
# tests are skipped without root or a 2 MiB pool, "hugetlb1g" ones
# without a 1 GiB page to add to its pool, all of them without QEMU
t() {
	local f=$1 d=$2
	n=$((n + 1))
	[ $mode = count ] && return
	if ! command -v "$QEMU" >/dev/null; then
		echo "ok $n $d # SKIP no $QEMU"
		return
	fi
	if [ "$3" = hugetlb ] && [ -z "$pool0" ]; then
		echo "ok $n $d # SKIP no 2 MiB hugetlb pool we may grow (root, $POOL)"
		return
	fi
	if [ "$3" = hugetlb1g ] && [ -z "$pool1g" ]; then
		echo "ok $n $d # SKIP no 1 GiB hugetlb pool we may grow (root, $POOL1G)"
		return
	fi
	if [ "$3" = hugetlb1g ] &&
	   ! { echo $((pool1g + 1)) >"$POOL1G"; [ "$(cat "$POOL1G")" -gt "$pool1g" ]; } 2>/dev/null; then
		echo "ok $n $d # SKIP no free GiB for a 1 GiB page on this machine"
		return
	fi
	tap_one "$f" "$d"
}

# start VM MIB [OPTION]: a guest on its own serial log
start() {
	run start ${3:+"$3"} "$1" "$2" -- -accel tcg -display none -nodefaults \
		-chardev "file,id=s0,path=$T/$1.serial,append=on" \
		-serial chardev:s0 -kernel "$GUEST"
	expect 0
}

# last VM: the guest's last line, as "boot pass bad"
last() {
	sed -n 's/^guest: boot=\([0-9a-f]*\) pass=\([0-9]*\) bad=\([0-9]*\) .*/\1 \2 \3/p' \
		"$T/$1.serial" 2>/dev/null | tail -1
}

# passes VM PASS: wait up to 60 s for the guest's pass PASS or later
passes() {
	local i l
	for i in $(seq 600); do
		l=$(last "$1")
		[ -n "$l" ] && [ "$(echo "$l" | cut -d' ' -f2)" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: no pass $2 in 60 s (last: ${l:-none})"
}

# carries_on VM "BOOT PASS BAD": the same guest, further on, no bad word
carries_on() {
	local was=($2) now
	passes "$1" $((was[1] + 2)) || return 1
	now=($(last "$1"))
	[ "${now[0]}" = "${was[0]}" ] ||
		fail "$1: boot id ${now[0]}, was ${was[0]}: restarted, not resumed" ||
		return 1
	[ "${now[2]}" = 0 ] || fail "$1: ${now[2]} bad words"
}

meminfo() {
	awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo
}

stop_vm() {
	[ -f "$KHOVM_DIR/$1.pid" ] && kill -9 "$(cat "$KHOVM_DIR/$1.pid")" 2>/dev/null
	rm -f "$KHOVM_DIR/$1".*
	sleep 0.3
}

t_usage() {
	run start --hugepages=3M vm 16
	one_error "--hugepages=3M: not a huge page size" || return 1
	run start --hugepages=2M vm 17
	one_error "17 MiB of RAM is not a whole number of its huge pages (2 MiB huge pages)" || return 1
	run start 'bad name' 16
	one_error "usage: khovm start" || return 1
	[ ! -e "$KHOVM_DIR/vm.vm" ] || fail "a refused VM left a description"
}

# rehearse, then the whole VM to a file and back: RAM in the file too
round_trip() {
	local vm=$1 kind=$2 was
	passes "$vm" 2 || return 1
	run rehearse "$vm"
	expect 0 || return 1
	was=$(last "$vm")
	carries_on "$vm" "$was" || return 1
	run save-to "$T/$vm.img" "$vm"
	expect 0 || return 1
	[ "$(stat -c %s "$T/$vm.img")" -gt $((8 << 20)) ] ||
		fail "save-to after rehearse wrote $(stat -c %s "$T/$vm.img") bytes: the RAM left out" ||
		return 1
	was=$(last "$vm")
	run restore-from "$T/$vm.img"
	expect 0 || return 1
	has "$vm restored from $T/$vm.img and running" || return 1
	[ -z "$kind" ] || has "of RAM$kind read back" || return 1
	carries_on "$vm" "$was"
}

t_shmem() {
	local r

	start s1 16 || return 1
	has "16 MiB of RAM in a memfd" || return 1
	round_trip s1 ""
	r=$?
	stop_vm s1
	return $r
}

hugetlb() {
	local free0 rsvd0 free rsvd
	echo $((pool0 + 8)) >"$POOL"
	free0=$(meminfo HugePages_Free)
	rsvd0=$(meminfo HugePages_Rsvd)
	[ $((free0 - rsvd0)) -ge 8 ] ||
		fail "the pool did not grow to 8 free pages" || return 1
	start h1 16 --hugepages=2M || return 1
	has "16 MiB of RAM in a memfd in 2 MiB huge pages" || return 1
	passes h1 1 || return 1
	free=$(meminfo HugePages_Free)
	rsvd=$(meminfo HugePages_Rsvd)
	[ $(((free0 - rsvd0) - (free - rsvd))) = 8 ] ||
		fail "the VM claims $(((free0 - rsvd0) - (free - rsvd))) pages of the pool (free $free, reserved $rsvd; before $free0, $rsvd0), want 8" ||
		return 1
	run list
	has "in 2 MiB huge pages" || return 1
	round_trip h1 " in 2 MiB huge pages" || return 1
	free=$(meminfo HugePages_Free)
	rsvd=$(meminfo HugePages_Rsvd)
	[ $(((free0 - rsvd0) - (free - rsvd))) = 8 ] ||
		fail "after restore-from the VM claims $(((free0 - rsvd0) - (free - rsvd))) pages, want 8" ||
		return 1
	run start --hugepages=2M h2 64 -- -accel tcg
	one_error "h2: 64 MiB of RAM in 2 MiB huge pages not reserved (Cannot allocate memory): the pool has" ||
		return 1
	[ ! -e "$KHOVM_DIR/h2.vm" ] || fail "the refused VM left a description"
}

t_hugetlb() {
	local r

	hugetlb
	r=$?
	stop_vm h1
	return $r
}

# the pool has one more 1 GiB page (t): a guest in it, QEMU at align=1G
hugetlb_1g() {
	local was
	start g1 1024 --hugepages=1G || return 1
	has "1024 MiB of RAM in a memfd in 1 GiB huge pages" || return 1
	passes g1 1 || return 1
	run list
	has "in 1 GiB huge pages" || return 1
	run rehearse g1
	expect 0 || return 1
	was=$(last g1)
	carries_on g1 "$was"
}

t_hugetlb_1g() {
	local r

	hugetlb_1g
	r=$?
	stop_vm g1
	return $r
}

tests() {
	t t_usage "start: a huge page size that is none, RAM not a whole number of huge pages, a bad name"
	t t_shmem "shmem RAM: rehearse, then save-to and restore-from: the same guest carries on"
	t t_hugetlb "hugetlb RAM (2 MiB): the pool's pages claimed, rehearse, save-to, restore-from; too big a VM refused" hugetlb
	t t_hugetlb_1g "hugetlb RAM (1 GiB): a 1 GiB guest in one 1 GiB page started, rehearsed, carries on" hugetlb1g
}

if [ "$(id -u)" = 0 ] && [ -w "$POOL" ]; then
	pool0=$(cat "$POOL")
fi
if [ "$(id -u)" = 0 ] && [ -w "$POOL1G" ]; then
	pool1g=$(cat "$POOL1G")
fi
tap_main
