// SPDX-License-Identifier: GPL-2.0
/*
 * lu_vm.c - a QEMU guest kept running across the host's kexec: rig.lu_vm=1
 * on a chain of generations, with the VM initramfs (QEMU, khovm and the
 * test guest, scripts/initramfs.sh).
 *
 * Generation 1 starts the guest with khovm (256 MiB of RAM in a memfd),
 * waits for its first full check of its RAM, notes its last line
 * (boot id, pass, counter, clock) and runs "khovm save" before the kexec.
 * Every later generation runs "khovm restore --expect vm1", waits for
 * the guest's next passes and checks it is the same guest carrying on:
 * same boot id, pass, counter and clock further than before, no bad
 * word in any pass; then saves it again for the next generation.
 * rig.lu_vm=2: the VM is named dmg-target, and generation 1 has the
 * freeze damage its RAM memfd's record (debugfs liveupdate/corrupt
 * memfd-count: a size and folio count no RAM holds, which the next
 * kernel refuses): that memfd does not come back, and khovm restore must
 * say the VM is lost, start no guest, and leave its session.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rig.h"

#define VM_DIR		"/tmp/khovm"
#define CORRUPT		"/sys/kernel/debug/liveupdate/corrupt"

static char serial[64], name[32];

struct guest_line {
	unsigned long boot, pass, bad, counter, tsc;
};

/* the guest's last complete status line in its serial log; 0 if none */
static int last_line(struct guest_line *g)
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
	return last && sscanf(last, "guest: boot=%lx pass=%lu bad=%lu counter=%lu tsc_m=%lu",
			      &g->boot, &g->pass, &g->bad, &g->counter,
			      &g->tsc) == 5;
}

/* wait until the guest has printed pass @want or later: 1, or 0 */
static int wait_pass(unsigned long want, int secs, struct guest_line *g)
{
	int t;

	for (t = 0; t < secs * 10; t++) {
		if (last_line(g) && g->pass >= want)
			return 1;
		usleep(100000);
	}
	return 0;
}

static int khovm(char *const argv[], const char *what)
{
	static char out[16384];
	int ret = rig_run(argv, out, sizeof(out));
	char *l, *save = NULL;

	for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		rig_log("gen=%d %s", rig.gen, l);
	rig_tap(ret == 0, "lu_vm: %s: exit %d", what, ret);
	return ret;
}

static void save(struct guest_line *g)
{
	char *save_argv[] = { "/bin/khovm", "save", NULL };
	char val[96];

	snprintf(val, sizeof(val), "%lx:%lu:%lu:%lu", g->boot, g->pass,
		 g->counter, g->tsc);
	rig_next_set("rig.lu_vm_last", val);
	khovm(save_argv, "khovm save: the VM stopped, its state saved and kept in a session");
}

static void gen1(void)
{
	char chardev[96];
	char *start[] = { "/bin/khovm", "start", name, "256", "--",
			  "-accel", "tcg,tb-size=64", "-display", "none",
			  "-nodefaults",
			  "-chardev", chardev, "-serial", "chardev:s0",
			  "-kernel", "/boot/guest.elf", NULL };
	struct guest_line g = { 0 };
	int ok;

	snprintf(chardev, sizeof(chardev), "file,id=s0,path=%s,append=on",
		 serial);
	if (khovm(start, "khovm start: a 256 MiB guest, RAM in a memfd"))
		return;
	ok = wait_pass(1, 600, &g);
	rig_tap(ok && !g.bad,
		"lu_vm: the guest filled and checked its RAM (boot %lx, pass %lu, %lu bad)",
		g.boot, g.pass, g.bad);
	save(&g);
	if (rig_param_long("rig.lu_vm", 1) == 2)
		rig_tap(!rig_write_file(CORRUPT, "memfd-count"),
			"lu_vm: the freeze will damage the RAM memfd's record");
}

static void later(void)
{
	char *restore[] = { "/bin/khovm", "restore", "--expect", name, NULL };
	struct guest_line was = { 0 }, g = { 0 };
	char last[96];
	int lost = rig_param_long("rig.lu_vm", 1) == 2, ok;

	if (!rig_param("rig.lu_vm_last", last, sizeof(last)) ||
	    sscanf(last, "%lx:%lu:%lu:%lu", &was.boot, &was.pass, &was.counter,
		   &was.tsc) != 4) {
		rig_tap(0, "lu_vm: the guest's last line before the update (rig.lu_vm_last)");
		return;
	}
	if (lost) {
		struct stat st;
		int ret;
		static char out[16384];

		ret = rig_run(restore, out, sizeof(out));
		rig_log("gen=%d %s", rig.gen, out);
		rig_tap(ret != 0 && strstr(out, " lost: "),
			"lu_vm: khovm restore says %s is lost (exit %d)", name,
			ret);
		rig_tap(stat(serial, &st) != 0,
			"lu_vm: no guest was started (no serial log)");
		return;
	}
	if (khovm(restore, "khovm restore: the VM retrieved, checked and resumed"))
		return;
	ok = wait_pass(was.pass + 2, 600, &g);
	rig_tap(ok, "lu_vm: the guest carries on after the update (pass %lu, was %lu)",
		g.pass, was.pass);
	rig_tap(g.boot == was.boot && g.counter > was.counter && g.tsc > was.tsc,
		"lu_vm: the same guest, resumed: boot %lx (was %lx), counter %lu (was %lu), clock %lu (was %lu)",
		g.boot, was.boot, g.counter, was.counter, g.tsc, was.tsc);
	rig_tap(g.bad == 0, "lu_vm: its own check of all its RAM after the update: %lu bad words",
		g.bad);
	if (rig.gen < rig.gens)
		save(&g);
}

void scenario_lu_vm(void)
{
	if (!rig_param_long("rig.lu_vm", 0))
		return;
	setenv("KHOVM_DIR", VM_DIR, 1);
	snprintf(name, sizeof(name), "%s",
		 rig_param_long("rig.lu_vm", 1) == 2 ? "dmg-target" : "vm1");
	snprintf(serial, sizeof(serial), VM_DIR "/%s.serial", name);
	if (rig.gen == 1)
		gen1();
	else
		later();
}
