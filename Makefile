# SPDX-License-Identifier: GPL-2.0
# KHO for Linux 6.12: entry points.
#
#   make demo     build everything, boot a KHO kexec chain, print a summary
#   make demo-vm  a QEMU guest kept running across two host kexecs (khovm)
#   make demo-arm64  the same chain on arm64 (qemu-system-aarch64)
#   make demo-debian  a Debian 12 host (systemd 252 as PID 1, our packages)
#                 keeps files across "systemctl kexec"
#   make deb      Debian packages in build/deb/: khoctl (man page, systemd
#                 units) and the kernel with the series; lintian on both
#   make test     build, run all tests (T=name runs only matching ones);
#                 the VM kernels build in the background as tests run
#   make test-debug  every x86 scenario on the KASAN + UBSAN + lockdep
#                 kernel (linux/kho-kasan.config; about 2 h)
#   make bench    tracker (user space) and VM benchmarks (bench/results/);
#                 BENCH_ARGS="--sizes 256M,1G --mem 4G" for the VM one
#   make bench-liveupdate  a 1 GiB memfd kept by live update vs written to
#                 a virtio-blk disk and read back (bench/vm/liveupdate.py):
#                 4 KiB folios, the same with memfd_populate=1, 2 MiB folios;
#                 3 runs each, medians (about 15 min)
#   make bench-hugetlb  a hugetlb memfd (2 MiB and 1 GiB pages; 1, 2 and
#                 4 GiB) kept by live update next to a shmem one and to the
#                 disk way (bench/vm/hugetlb.py; 3 runs each, about 30 min)
#   make bench-reboot  kexec reboot phases with a 380 MiB initrd, stock
#                 vs KHO zero-copy (bench/vm/reboot.py)
#   make bench-reboot-arm64  the same on arm64 (relocation with the MMU on)
#   make bench-blackout  a running 1 GiB QEMU guest across the host's
#                 kexec: blackout by live update vs the VM saved to a
#                 virtio-blk disk and read back, phase by phase
#                 (bench/vm/blackout.py; 3 runs, about 30 min)
#   make fuzz     fuzz the handover validator, then the live update record
#                 parsers, 10 minutes each (SECONDS=)
#   make fuzz-seeds  capture real handovers in the VM into the fuzz
#                 target's seed corpus (tests/fuzz/vm-corpus/)
#   make check    checkpatch --strict and kernel-doc on the series
#   make series   the series as git-am-able patches in build/series/
#   make kernel   configure and build the VM kernel (build/kernel)
#   make tree     unpack linux-source-6.12 and apply the series
#   make deps     install missing packages with apt
#   make clean    remove build/ except the unpacked tree
B := $(CURDIR)/build
export B

.PHONY: all deps tree kernel initramfs test test-debug demo demo-vm demo-arm64 demo-debian deb bench bench-liveupdate bench-hugetlb bench-reboot bench-reboot-arm64 bench-blackout fuzz fuzz-seeds check series clean distclean

all: initramfs

deps:
	@scripts/deps.sh

tree: deps
	@scripts/tree.sh

kernel: tree
	@scripts/kernel.sh

initramfs: kernel
	@scripts/initramfs.sh
	@KCONFIG_VARIANT=arm64 scripts/kernel.sh
	@KCONFIG_VARIANT=arm64 scripts/initramfs.sh
	@KCONFIG_VARIANT=nofile scripts/kernel.sh
	@KCONFIG_VARIANT=nofile scripts/initramfs.sh
	@KCONFIG_VARIANT=kasan scripts/kernel.sh
	@KCONFIG_VARIANT=kasan scripts/initramfs.sh

# the VM kernels are built by tests/run.py in the background, while
# the tests that do not need them run (tests/kernels.py)
test: tree
	@python3 tests/run.py $(if $(T),-k $(T))

# every x86 scenario on the KASAN + UBSAN + lockdep kernel (about 2 h)
test-debug: tree
	@python3 tests/run.py --debug $(if $(T),-k $(T))

# the demos build only the kernel and initramfs they boot
demo: kernel
	@scripts/initramfs.sh
	@python3 tests/vm/demo.py

demo-vm: kernel
	@scripts/initramfs.sh
	@python3 tests/vm/demo_vm.py

deb: tree
	@scripts/deb.sh

demo-debian: kernel
	@python3 tests/vm/demo_debian.py

demo-arm64: tree
	@KCONFIG_VARIANT=arm64 scripts/kernel.sh
	@KCONFIG_VARIANT=arm64 scripts/initramfs.sh
	@python3 tests/vm/demo.py --arch arm64

bench: initramfs
	@$(MAKE) -s -C bench/tracker run
	@python3 bench/vm/run.py $(BENCH_ARGS)

bench-liveupdate: initramfs
	@python3 bench/vm/liveupdate.py $(LU_BENCH_ARGS); \
	python3 bench/vm/liveupdate.py --no-build --populate $(LU_BENCH_ARGS); \
	python3 bench/vm/liveupdate.py --no-build --thp $(LU_BENCH_ARGS)

bench-hugetlb: initramfs
	@python3 bench/vm/hugetlb.py $(HB_BENCH_ARGS)

bench-reboot: initramfs
	@python3 bench/vm/reboot.py $(REBOOT_BENCH_ARGS)

bench-blackout: kernel
	@scripts/initramfs.sh
	@python3 bench/vm/blackout.py $(BLACKOUT_BENCH_ARGS)

bench-reboot-arm64: initramfs
	@python3 bench/vm/reboot.py --arch arm64 --runs 3 $(REBOOT_BENCH_ARGS)

fuzz: tree
	@$(MAKE) -s -C tests/fuzz run SECONDS=$(or $(SECONDS),600)

fuzz-seeds: initramfs
	@rm -rf $(B)/fuzz/vm-captured
	@python3 tests/run.py --no-unit -k fuzz-seed-capture
	@mkdir -p tests/fuzz/vm-corpus
	@cp $(B)/fuzz/vm-captured/* tests/fuzz/vm-corpus/
	@ls -l tests/fuzz/vm-corpus

check: tree
	@scripts/check.sh

series: tree
	@scripts/series.sh

clean:
	rm -rf $(B)/accel $(B)/kernel* $(B)/initramfs* $(B)/tools $(B)/unit $(B)/logs $(B)/results.tap

distclean:
	rm -rf $(B)
