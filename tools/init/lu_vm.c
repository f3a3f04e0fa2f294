// SPDX-License-Identifier: GPL-2.0
/*
 * lu_vm.c - QEMU guests kept running across the host's kexec: rig.lu_vm=1
 * on a chain of generations, with the VM tools' image (QEMU, khovm and
 * the test guest, scripts/initramfs.sh) mounted at /usr in each one.
 *
 * Generation 1 starts two guests with khovm, each on its own:
 *  - vm1, 256 MiB of RAM in a memfd in 2 MiB folios (shmem_enabled is
 *    "always" while it fills its RAM, "never" after), and a virtio-blk
 *    disk of its own when the rig gave the host one (/dev/vda): every
 *    pass the guest writes a record to it and checks all of them;
 *  - vm2, 32 MiB in 2 MiB hugetlb pages ("khovm start --hugepages=2M"),
 *    from a pool of 16 the scenario boots every generation with
 *    (hugepages=16), no disk.
 * It waits for each guest's first full check of its RAM, notes its last
 * line (boot id, pass, counter, clock) and runs "khovm save" before the
 * kexec; with QEMU gone, it reads the guest's last records on the disk
 * itself. Every later generation runs "khovm restore --expect vm1,vm2",
 * waits for the guests' next passes and checks each is the same guest
 * carrying on: same boot id, pass, counter and clock further than before,
 * no bad word in any pass, every disk record written before the update
 * read back by the guest after it, vm1's RAM still in 2 MiB folios
 * (ShmemHugePages), vm2's in the hugetlb pool (all 16 pages of it the
 * VM's: the kept pages took the new pool's room, none free that is not
 * reserved, khovm restore says "in 2 MiB huge pages"); then saves them
 * again for the next generation.
 *
 * rig.lu_vm=2: the first VM is named dmg-target (no disk, no THP), vm2
 * is in 4 KiB folios, and
 * generation 1 has the freeze damage its RAM memfd's record (debugfs
 * liveupdate/corrupt memfd-count: a size and folio count no RAM holds,
 * which the next kernel refuses): that memfd does not come back, and
 * khovm restore must say that VM is lost, start no guest for it, leave
 * its session (khovm list shows it, khovm discard gives it up), and
 * restore vm2 as if nothing happened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rig.h"

#define VM_DIR		"/tmp/khovm"
#define CORRUPT		"/sys/kernel/debug/liveupdate/corrupt"
#define DISK		"/dev/vda"
#define RING		256	/* guest.c's disk records */
#define REC_MAGIC	0x4b484f56u

struct vm {
	char name[32], serial[64];
	int mib, disk, thp, huge;
	struct guest_line was, g;
};

static struct vm vms[2];
static int lost_mode;

/**
 * rig_mount_vm_usr() - mount the VM tools' image at /usr
 * @tag: the scenario, for its TAP lines
 *
 * The rig attaches build/vm-usr.img (QEMU with its libraries and
 * firmware, khovm, the test guest) as a read-only virtio-blk disk with
 * the serial "khovm-usr"; it is found by that serial, as its name
 * depends on the other disks. Mounted in every generation: the image is
 * not in the initramfs, which each kexec carries.
 *
 * Return: 0, or -1 after a TAP failure.
 */
int rig_mount_vm_usr(const char *tag)
{
	char path[48], serial[32] = "", dev[16];
	int i, n;

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/sys/block/vd%c/serial", 'a' + i);
		n = rig_read_file(path, serial, sizeof(serial) - 1);
		if (n < 9 || strncmp(serial, "khovm-usr", 9))
			continue;
		snprintf(dev, sizeof(dev), "/dev/vd%c", 'a' + i);
		mkdir("/usr", 0755);
		if (mount(dev, "/usr", "ext4", MS_RDONLY, NULL) == 0 &&
		    access(RIG_KHOVM, X_OK) == 0)
			return 0;
		rig_tap(0, "%s: mount the VM tools' image %s at /usr: %s", tag,
			dev, strerror(errno));
		return -1;
	}
	rig_tap(0, "%s: no VM tools' image (a virtio-blk disk with the serial khovm-usr: build/vm-usr.img)",
		tag);
	return -1;
}

/**
 * guest_last_line() - the guest's last complete status line
 * @serial: its serial log
 * @g: filled in
 *
 * Return: 1 when a complete line was found and parsed, 0 if not.
 */
int guest_last_line(const char *serial, struct guest_line *g)
{
	static char buf[1 << 20];
	char *p, *last = NULL;
	int n = rig_read_file(serial, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; (p = strstr(p, "guest: boot=")); p++)
		if (strchr(p, '\n'))
			last = p;
	return last && sscanf(last, "guest: boot=%lx pass=%lu bad=%lu counter=%lu tsc_m=%lu disk=%lu dbad=%lu clock_gap_ms=%ld",
			      &g->boot, &g->pass, &g->bad, &g->counter,
			      &g->tsc, &g->disk, &g->dbad, &g->gap) == 8;
}

/**
 * guest_wait_pass() - wait until the guest has printed pass @want or later
 * @serial: its serial log
 * @want: the pass
 * @secs: how long to wait
 * @g: its last line, filled in
 *
 * Return: 1 when it did, 0 on timeout.
 */
int guest_wait_pass(const char *serial, unsigned long want, int secs,
		    struct guest_line *g)
{
	int t;

	for (t = 0; t < secs * 10; t++) {
		if (guest_last_line(serial, g) && g->pass >= want)
			return 1;
		usleep(100000);
	}
	return 0;
}

static int wait_pass(struct vm *v, unsigned long want, int secs)
{
	return guest_wait_pass(v->serial, want, secs, &v->g);
}

/**
 * rig_khovm() - run khovm, log its output, a TAP line for the exit status
 * @argv: khovm and its arguments
 * @tag: the scenario, first word of the TAP line
 * @what: the step, or NULL for no TAP line
 * @out: where its output goes, or NULL
 * @len: size of @out
 *
 * Return: khovm's exit status.
 */
int rig_khovm(char *const argv[], const char *tag, const char *what,
	      char *out, size_t len)
{
	static char buf[16384];
	char *l, *save = NULL;
	int ret;

	if (!out) {
		out = buf;
		len = sizeof(buf);
	}
	ret = rig_run(argv, out, len);
	/* strtok_r() cuts what it walks: a copy, the caller's out stays whole */
	if (out != buf)
		snprintf(buf, sizeof(buf), "%s", out);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		rig_log("gen=%d %s", rig.gen, l);
	if (what)
		rig_tap(ret == 0, "%s: %s: exit %d", tag, what, ret);
	return ret;
}

static int khovm(char *const argv[], const char *what, char *out, size_t len)
{
	return rig_khovm(argv, "lu_vm", what, out, len);
}

static uint32_t word(uint32_t boot, uint32_t i)
{
	return (i * 2654435761u) ^ boot;
}

/*
 * With the guest's QEMU gone, read its disk and check the records of
 * its last passes (up to @v->g.pass; the ring keeps RING - 1 of them
 * for sure) are there, as the guest wrote them.
 */
static void host_disk_check(struct vm *v)
{
	unsigned long p = v->g.pass, q, from = p > RING - 1 ? p - RING + 2 : 1;
	unsigned long good = 0, i;
	size_t len = (RING + 1) * 512;
	uint32_t *buf;
	int fd = open(DISK, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign((void **)&buf, 4096, len) ||
	    pread(fd, buf, len, 0) != (ssize_t)len) {
		rig_tap(0, "lu_vm: %s: read its disk on the host: %s", v->name,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	for (q = from; q <= p; q++) {
		uint32_t *r = buf + (1 + (q - 1) % RING) * 128;

		if (r[0] != REC_MAGIC || r[1] != (uint32_t)v->g.boot ||
		    r[2] != (uint32_t)q)
			continue;
		for (i = 4; i < 128 && r[i] == word(r[1] ^ r[2], i); i++)
			;
		good += i == 128;
	}
	rig_tap(good == p - from + 1,
		"lu_vm: %s: its disk, read on the host with the guest stopped, holds its records of passes %lu..%lu: %lu of %lu",
		v->name, from, p, good, p - from + 1);
	free(buf);
}

static void save_all(void)
{
	char *save_argv[] = { RIG_KHOVM, "save", NULL };
	char key[32], val[96];
	int i;

	for (i = 0; i < 2; i++) {
		struct guest_line *g = &vms[i].g;

		snprintf(key, sizeof(key), "rig.lu_vm_last%d", i + 1);
		snprintf(val, sizeof(val), "%lx:%lu:%lu:%lu:%ld", g->boot,
			 g->pass, g->counter, g->tsc, g->gap);
		rig_next_set(key, val);
	}
	if (khovm(save_argv, "khovm save: both VMs stopped, their state saved and kept, a session each",
		  NULL, 0))
		return;
	for (i = 0; i < 2; i++)
		if (vms[i].disk)
			host_disk_check(&vms[i]);
}

/* @v's RAM in the hugetlb pool: every page of the pool the VM's */
static void huge_check(struct vm *v, const char *when)
{
	long total = rig_meminfo("HugePages_Total") / 1024,
	     free = rig_meminfo("HugePages_Free") / 1024,
	     rsvd = rig_meminfo("HugePages_Rsvd") / 1024;

	rig_tap(total == v->mib / 2 && free == rsvd,
		"lu_vm: %s's RAM %s in 2 MiB hugetlb pages: HugePages_Total %ld (want %d), Free %ld, Rsvd %ld (want as many: every page the VM's)",
		v->name, when, total, v->mib / 2, free, rsvd);
}

static void start(struct vm *v)
{
	char mib[16], chardev[96];
	/* without huge pages, argv + 1 from "khovm start NAME" on */
	char *argv[] = { RIG_KHOVM, "start", "--hugepages=2M", v->name, mib, "--",
			 "-accel", "tcg,tb-size=32", "-display", "none",
			 "-nodefaults",
			 "-chardev", chardev, "-serial", "chardev:s0",
			 "-kernel", RIG_GUEST,
			 v->disk ? "-drive" : NULL,
			 "file=" DISK ",format=raw,if=none,id=d0,cache=none",
			 "-device", "virtio-blk-pci,drive=d0,disable-modern=on",
			 NULL };
	char what[128];
	int ok;

	snprintf(mib, sizeof(mib), "%d", v->mib);
	snprintf(chardev, sizeof(chardev), "file,id=s0,path=%s,append=on",
		 v->serial);
	snprintf(what, sizeof(what), "khovm start %s: %d MiB guest, RAM in a memfd%s%s",
		 v->name, v->mib, v->thp ? " in 2 MiB folios" :
		 v->huge ? " in 2 MiB hugetlb pages" : "",
		 v->disk ? ", a virtio-blk disk" : "");
	if (v->thp && rig_write_file(THP_KNOB, "always"))
		rig_tap(0, "lu_vm: shmem_enabled=always");
	if (!v->huge) {
		argv[1] = RIG_KHOVM;
		argv[2] = "start";
	}
	if (khovm(v->huge ? argv : argv + 1, what, NULL, 0))
		return;
	ok = wait_pass(v, 1, 600);
	rig_tap(ok && !v->g.bad && !v->g.dbad &&
		v->g.disk == (unsigned long)v->disk,
		"lu_vm: %s filled and checked its RAM%s (boot %lx, pass %lu, %lu bad, %lu disk records, %lu bad)",
		v->name, v->disk ? " and disk" : "", v->g.boot, v->g.pass,
		v->g.bad, v->g.disk, v->g.dbad);
	if (v->thp) {
		long huge = rig_meminfo("ShmemHugePages");

		rig_write_file(THP_KNOB, "never");
		rig_tap(huge >= (v->mib - 4L) << 20,
			"lu_vm: %s's RAM is in 2 MiB folios (ShmemHugePages %ld MiB of %d)",
			v->name, huge >> 20, v->mib);
	}
	if (v->huge)
		huge_check(v, "is");
}

static void gen1(void)
{
	start(&vms[0]);
	start(&vms[1]);
	save_all();
	if (lost_mode)
		rig_tap(!rig_write_file(CORRUPT, "memfd-count"),
			"lu_vm: the freeze will damage dmg-target's RAM memfd's record");
}

/* after the update: @v must be the guest it was, carrying on */
static void carried_on(struct vm *v)
{
	struct guest_line *g = &v->g, *was = &v->was;
	int ok = wait_pass(v, was->pass + 2, 600);
	unsigned long ring = g->pass < RING ? g->pass : RING;

	rig_tap(ok, "lu_vm: %s carries on after the update (pass %lu, was %lu)",
		v->name, g->pass, was->pass);
	rig_tap(g->boot == was->boot && g->counter > was->counter &&
		g->tsc > was->tsc,
		"lu_vm: %s is the same guest, resumed: boot %lx (was %lx), counter %lu (was %lu), clock %lu (was %lu)",
		v->name, g->boot, was->boot, g->counter, was->counter, g->tsc,
		was->tsc);
	rig_tap(g->bad == 0,
		"lu_vm: %s's own check of all its RAM after the update: %lu bad words",
		v->name, g->bad);
	/* its RTC against its TSC: how long it was stopped, as it saw it */
	rig_log("gen=%d %s paused for %ld ms by its own clocks (RTC against TSC)",
		rig.gen, v->name, g->gap - was->gap);
	if (v->disk)
		rig_tap(g->dbad == 0 && g->disk == ring,
			"lu_vm: %s read back its disk records from before and after the update: %lu of %lu, %lu bad",
			v->name, g->disk, ring, g->dbad);
	if (v->thp) {
		long huge = rig_meminfo("ShmemHugePages");

		rig_tap(huge >= (v->mib - 4L) << 20,
			"lu_vm: %s's RAM is still in 2 MiB folios (ShmemHugePages %ld MiB of %d)",
			v->name, huge >> 20, v->mib);
	}
	if (v->huge)
		huge_check(v, "is still");
}

static void later(void)
{
	char *restore[] = { RIG_KHOVM, "restore", "--expect", NULL, NULL };
	char *list[] = { RIG_KHOVM, "list", NULL };
	char *discard[] = { RIG_KHOVM, "discard", "dmg-target", NULL };
	static char out[16384];
	char key[32], last[96], expect[80], *kept;
	struct stat st;
	int i, ret;

	for (i = 0; i < 2; i++) {
		struct guest_line *w = &vms[i].was;

		snprintf(key, sizeof(key), "rig.lu_vm_last%d", i + 1);
		if (!rig_param(key, last, sizeof(last)) ||
		    sscanf(last, "%lx:%lu:%lu:%lu:%ld", &w->boot, &w->pass,
			   &w->counter, &w->tsc, &w->gap) != 5) {
			rig_tap(0, "lu_vm: the guests' last lines before the update (%s)", key);
			return;
		}
	}
	{
		char *sessions[] = { "/bin/khoctl", "sessions", NULL };

		/* what the next kernel got, as an operator sees it */
		khovm(sessions, NULL, out, sizeof(out));
	}
	snprintf(expect, sizeof(expect), "%s,%s", vms[0].name, vms[1].name);
	restore[3] = expect;
	ret = khovm(restore, lost_mode ? NULL :
		    "khovm restore: both VMs retrieved, checked and resumed",
		    out, sizeof(out));
	if (lost_mode) {
		rig_tap(ret != 0 && strstr(out, "dmg-target lost: "),
			"lu_vm: khovm restore says dmg-target is lost (exit %d)", ret);
		rig_tap(stat(vms[0].serial, &st) != 0,
			"lu_vm: no guest was started for dmg-target (no serial log)");
		rig_tap(strstr(out, "vm2 restored and running") != NULL,
			"lu_vm: vm2, on its own, was restored all the same");
		carried_on(&vms[1]);
		khovm(list, NULL, out, sizeof(out));
		kept = strstr(out, "dmg-target");
		rig_tap(kept && strstr(kept, "kept by the previous kernel"),
			"lu_vm: khovm list shows dmg-target still kept by the previous kernel");
		khovm(discard, "khovm discard dmg-target: its session given up",
		      NULL, 0);
		khovm(list, NULL, out, sizeof(out));
		rig_tap(!strstr(out, "dmg-target"),
			"lu_vm: after discard, khovm list no longer shows dmg-target");
		return;
	}
	if (ret)
		return;
	rig_tap(strstr(out, "vm2 restored and running: QEMU pid") &&
		strstr(out, "MiB of RAM in 2 MiB huge pages as it was"),
		"lu_vm: khovm restore says vm2's RAM is back in 2 MiB huge pages");
	carried_on(&vms[0]);
	carried_on(&vms[1]);
	if (rig.gen < rig.gens)
		save_all();
}

void scenario_lu_vm(void)
{
	int i;

	if (!rig_param_long("rig.lu_vm", 0))
		return;
	if (rig_mount_vm_usr("lu_vm"))
		return;
	setenv("KHOVM_DIR", VM_DIR, 1);
	lost_mode = rig_param_long("rig.lu_vm", 1) == 2;
	snprintf(vms[0].name, sizeof(vms[0].name), "%s",
		 lost_mode ? "dmg-target" : "vm1");
	vms[0].mib = lost_mode ? 64 : 256;
	vms[0].thp = !lost_mode;
	vms[0].disk = !lost_mode && access(DISK, R_OK) == 0;
	snprintf(vms[1].name, sizeof(vms[1].name), "vm2");
	vms[1].mib = 32;
	vms[1].huge = !lost_mode;
	for (i = 0; i < 2; i++)
		snprintf(vms[i].serial, sizeof(vms[i].serial),
			 VM_DIR "/%s.serial", vms[i].name);
	if (rig.gen == 1)
		gen1();
	else
		later();
}
