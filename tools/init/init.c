// SPDX-License-Identifier: GPL-2.0
/*
 * init - the VM rig's /init: run one scenario step, then kexec or power off.
 *
 * The kernel command line carries the state of a chain:
 *
 *   rig.scenario=NAME  what to run (see the table at the end of this file)
 *   rig.gen=N          this generation (1 = cold boot by QEMU)
 *   rig.gens=M         last generation of the chain; power off after it
 *   rig.panic=N        make generation N panic (tests the runner)
 *   rig.hang=N         make generation N hang (tests the runner)
 *   rig.unload=N       generation N loads the next kernel, unloads it
 *                      (checking CmaFree comes back) and loads it again
 *
 * Results go to the console as TAP lines prefixed with "RIG:" so the
 * runner can tell them from kernel messages:
 *
 *   RIG: ok - gen2: booted by kexec
 *   RIG: not ok - gen2: ... # reason
 *   RIG: gen=2 uptime_ms=812 next=kexec
 *
 * The next generation is started with kexec_file_load() on the bzImage
 * kept in this initramfs and the initramfs itself (the kernel keeps it in
 * /sys/firmware/initrd because the chain boots with retain_initrd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/kexec.h>
#include <linux/reboot.h>

#include "rig.h"

int scenario_kho(void);

struct rig rig;

static char cmdline[4096];

void rig_log(const char *fmt, ...)
{
	va_list ap;

	fputs("RIG: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void rig_tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("RIG: %s - gen%d: ", ok ? "ok" : "not ok", rig.gen);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	if (!ok)
		rig.failed++;
}

const char *rig_param(const char *key, char *buf, size_t len)
{
	return cmdline_get(cmdline, key, buf, len);
}

long rig_param_long(const char *key, long def)
{
	char buf[64];

	if (!rig_param(key, buf, sizeof(buf)))
		return def;
	return strtol(buf, NULL, 0);
}

int rig_read_file(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	close(fd);
	return n < 0 ? -errno : (int)n;
}

/* Write @val to @path: 0, or -1 with errno set. */
int rig_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static void mount_fs(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

static unsigned long uptime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000UL + ts.tv_nsec / 1000000;
}

/* /proc/meminfo's @key ("MemFree", ...) in bytes, -1 if missing */
long rig_meminfo(const char *key)
{
	char buf[4096], *p;

	if (rig_read_file("/proc/meminfo", buf, sizeof(buf) - 1) < 0)
		return -1;
	buf[sizeof(buf) - 1] = '\0';
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key) + 1, NULL, 10) * 1024 : -1;
}

/*
 * Free memory in bytes, the pages on the per-CPU free lists included
 * (MemFree leaves them out, and freed pages wait there): nr_free_pages
 * plus every pageset's count in /proc/zoneinfo. The per-CPU differences
 * of the counters are folded in first (vm/stat_refresh): unfolded they
 * can hide a few hundred pages per zone and CPU, enough to make a
 * 32 MiB free look 2 MiB short.
 */
long rig_free_bytes(void)
{
	static char buf[65536];
	long pages = 0;
	char *p;
	int n;

	rig_write_file("/proc/sys/vm/stat_refresh", "1");
	n = rig_read_file("/proc/zoneinfo", buf, sizeof(buf) - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "nr_free_pages ")); p++)
		pages += strtol(p + strlen("nr_free_pages "), NULL, 10);
	for (p = buf; (p = strstr(p, "count: ")); p++)
		pages += strtol(p + strlen("count: "), NULL, 10);
	return pages * sysconf(_SC_PAGESIZE);
}


static long uptime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static int load_next(void)
{
	static char next[4096], tmp[4096];
	long ret, before, t0;
	char gen[16];
	int kfd, ifd, unload;

	snprintf(gen, sizeof(gen), "%d", rig.gen + 1);
	cmdline_set(next, sizeof(next), cmdline, "rig.gen", gen);
	/*
	 * rig.next.KEY=VALUE: set KEY=VALUE (or drop KEY if VALUE is "-") on
	 * the next generation's command line; rig.nextN.KEY=VALUE only when
	 * the next generation is N.
	 */
	for (int i = 0; i < rig.nr_next; i++) {
		if (rig.next_gen[i] && rig.next_gen[i] != rig.gen + 1)
			continue;
		memcpy(tmp, next, sizeof(tmp));
		cmdline_set(next, sizeof(next), tmp, rig.next_key[i],
			    strcmp(rig.next_val[i], "-") ? rig.next_val[i] :
							   NULL);
	}
	if (rig_param("rig.loader", tmp, 16) && !strcmp(tmp, "user"))
		return rig_kexec_user(next, sizeof(next));
	if (rig_param("rig.loader", tmp, 16) && !strcmp(tmp, "cover"))
		return rig_kexec_cover(next, sizeof(next));
	if ((rig_param("rig.loader", tmp, 16) && !strcmp(tmp, "kexec-tools")) ||
	    rig_param_long("rig.stale_root", 0))
		return rig_kexec_tools(next, sizeof(next));
	memcpy(tmp, next, sizeof(tmp));
	cmdline_set(next, sizeof(next), tmp, "rig.via", NULL);
	kfd = open(RIG_KERNEL, O_RDONLY);
	ifd = open("/sys/firmware/initrd", O_RDONLY);
	if (kfd < 0 || ifd < 0) {
		rig_tap(0, "kexec: open kernel/initrd: %s", strerror(errno));
		return -1;
	}
	unload = rig_param_long("rig.unload", 0) == rig.gen;
	before = unload ? rig_free_bytes() >> 10 : 0;
	t0 = uptime_us();
	ret = syscall(SYS_kexec_file_load, kfd, ifd, strlen(next) + 1, next,
		      0UL);
	rig_log("gen=%d kho load_us=%ld", rig.gen, uptime_us() - t0);
	if (!ret && unload) {
		/* the in-place segments' pages come back with an unload */
		long loaded = rig_free_bytes() >> 10, unloaded;

		ret = syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
			      (unsigned long)KEXEC_FILE_UNLOAD);
		unloaded = rig_free_bytes() >> 10;
		rig_log("gen=%d unload free_kb before=%ld loaded=%ld unloaded=%ld",
			rig.gen, before, loaded, unloaded);
		rig_tap(!ret && before - loaded >= 16384 &&
			labs(before - unloaded) <= 4096,
			"an unload gives back the scratch its in-place image held (free %ld kB, loaded %ld kB, unloaded %ld kB)",
			before, loaded, unloaded);
		if (!ret)
			ret = syscall(SYS_kexec_file_load, kfd, ifd,
				      strlen(next) + 1, next, 0UL);
	}
	close(kfd);
	close(ifd);
	if (ret && errno == ENOSYS) {
		/*
		 * A kernel built without KEXEC_FILE (as Debian's arm64 one):
		 * the next generation goes through kexec_load, as a host's
		 * kexec-tools would load it.
		 */
		rig_log("gen=%d kexec_file_load: not in this kernel, loading with kexec-tools",
			rig.gen);
		return rig_kexec_tools(next, sizeof(next));
	}
	if (ret) {
		rig_tap(0, "kexec_file_load: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Load the next generation's kernel, with the rig.next words set so far
 * on its command line; a scenario may call it before its last steps
 * (as a host loads the kernel before it stops its VMs), the rig does at
 * the end of the generation otherwise. 0 when it is loaded.
 */
int rig_kexec_file(void)
{
	int ret = load_next();

	rig.loaded = !ret;
	return ret;
}

/*
 * Run @argv and print its output between RIG: TAG-BEGIN genN and
 * RIG: TAG-END STATUS, each line as RIG: TAG LINE. Returns the status.
 */
int rig_run_block(char *const argv[], const char *tag)
{
	static char out[16384];
	const char *p;
	int st;

	st = rig_run(argv, out, sizeof(out));
	printf("RIG: %s-BEGIN gen%d\n", tag, rig.gen);
	for (p = out; *p;) {
		size_t n = strcspn(p, "\n");

		printf("RIG: %s %.*s\n", tag, (int)n, p);
		p += n + (p[n] == '\n');
	}
	printf("RIG: %s-END %d\n", tag, st);
	fflush(stdout);
	return st;
}

/*
 * In the last generation, "khoctl timeline --points" between
 * RIG: TL-BEGIN and RIG: TL-END (kernels with a kexec timeline).
 */
static void print_timeline(void)
{
	char *argv[] = { "/bin/khoctl", "timeline", "--points", NULL };
	int st;

	if (access("/sys/kernel/kexec_timeline", R_OK))
		return;
	st = rig_run_block(argv, "TL");
	rig_tap(st == 0, "khoctl timeline: exit status %d", st);
}

/*
 * rig.corrupt=WHAT: damage the outgoing handover on purpose (debug
 * kernels), the scratch_* and setup_* ones (the setup data, built at
 * load time) before the kexec image is loaded, the rest after.
 */
static void corrupt(int before_load)
{
	char what[32];
	int at_load;

	if (!rig_param("rig.corrupt", what, sizeof(what)) || rig.gen != 1)
		return;
	at_load = !strncmp(what, "scratch_", 8) || !strncmp(what, "setup_", 6);
	if (at_load != !!before_load)
		return;
	if (rig_write_file("/sys/kernel/debug/kho/debug_corrupt", what))
		rig_tap(0, "corrupt %s: %s", what, strerror(errno));
	else
		rig_log("gen=%d corrupted the handover: %s", rig.gen, what);
}

static void power_off(void)
{
	/*
	 * out before the kernel's own power-off messages: the serial driver
	 * sends what we wrote after write() returns, printk() at once, so a
	 * line still queued (the timeline table) could be cut by one
	 */
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
	sync();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	for (;;)
		pause();
}

/*
 * Which loader started this kernel: QEMU's direct boot (0xb0) or the
 * kernel's own kexec_file loader (0xd0).
 */
static int boot_loader(void)
{
	unsigned char bp[0x220];

	if (rig_read_file("/sys/kernel/boot_params/data", bp, sizeof(bp)) <
	    (int)sizeof(bp))
		return -1;
	return bp[0x210] & 0xf0;
}

static void check_generation(void)
{
	int loader = boot_loader();
	char via[16];

	if (RIG_ARM64) {
		/* no boot_params: the chain itself says who started us */
		rig_tap(rig.gen == 1 || rig_param("rig.gen", via, sizeof(via)),
			"%s (arm64)", rig.gen == 1 ? "cold boot by QEMU" :
						     "booted by kexec");
		return;
	}

	if (rig.gen == 1)
		rig_tap(loader == 0xb0, "cold boot by QEMU (loader 0x%02x)",
			loader);
	else if (rig_param("rig.via", via, sizeof(via)) &&
		 !strcmp(via, "user"))
		rig_tap(loader == 0xf0, "booted by khoctl's kexec_load (loader 0x%02x)",
			loader);
	else if (rig_param("rig.via", via, sizeof(via)))
		rig_tap(loader == 0xd0, "booted by kexec-tools' kexec_load (loader 0x%02x)",
			loader);
	else
		rig_tap(loader == 0xd0, "booted by kexec_file_load (loader 0x%02x)",
			loader);
}

static int scenario_chain(void)
{
	scenario_tl_cover();
	return 0;
}

static const struct scenario {
	const char *name;
	int (*run)(void);
} scenarios[] = {
	{ "chain", scenario_chain },
	{ "kho", scenario_kho },
};

/**
 * rig_next_set() - set KEY=VALUE on the next generation's command line
 * @key: the parameter
 * @val: its value, or "-" to drop it
 *
 * As a rig.next.KEY=VALUE word would, from a scenario at run time.
 */
void rig_next_set(const char *key, const char *val)
{
	if (rig.loaded) {
		/* the next kernel's command line is in the loaded image */
		rig_tap(0, "rig_next_set %s: the next kernel is loaded already",
			key);
		return;
	}
	if (rig.nr_next == 8 || strlen(key) >= sizeof(rig.next_key[0]) ||
	    strlen(val) >= sizeof(rig.next_val[0])) {
		rig_tap(0, "rig_next_set %s: no room", key);
		return;
	}
	strcpy(rig.next_key[rig.nr_next], key);
	strcpy(rig.next_val[rig.nr_next], val);
	rig.next_gen[rig.nr_next++] = 0;
}

static void parse_next_words(void)
{
	const char *p = cmdline;

	while ((p = strstr(p, "rig.next")) && rig.nr_next < 8) {
		size_t k, v;

		if (p != cmdline && p[-1] != ' ') {
			p++;
			continue;
		}
		p += strlen("rig.next");
		rig.next_gen[rig.nr_next] = strtol(p, (char **)&p, 10);
		if (*p++ != '.')
			continue;
		k = strcspn(p, "= \n");
		if (p[k] != '=' || k >= sizeof(rig.next_key[0]))
			continue;
		v = strcspn(p + k + 1, " \n");
		if (v >= sizeof(rig.next_val[0]))
			continue;
		memcpy(rig.next_key[rig.nr_next], p, k);
		rig.next_key[rig.nr_next][k] = '\0';
		memcpy(rig.next_val[rig.nr_next], p + k + 1, v);
		rig.next_val[rig.nr_next][v] = '\0';
		rig.nr_next++;
	}
}

int main(void)
{
	const struct scenario *sc = NULL;
	char name[64];
	size_t i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_fs();
	if (rig_read_file("/proc/cmdline", cmdline, sizeof(cmdline) - 1) < 0) {
		rig_log("cannot read /proc/cmdline");
		power_off();
	}
	rig.gen = rig_param_long("rig.gen", 1);
	rig.gens = rig_param_long("rig.gens", 1);
	parse_next_words();
	if (!rig_param("rig.scenario", name, sizeof(name)))
		strcpy(name, "chain");
	rig_log("gen=%d of %d scenario=%s uptime_ms=%lu", rig.gen, rig.gens,
		name, uptime_ms());

	if (rig_param_long("rig.panic", 0) == rig.gen) {
		rig_log("gen=%d: exiting init on purpose to panic the kernel",
			rig.gen);
		return 1;
	}
	if (rig_param_long("rig.hang", 0) == rig.gen) {
		rig_log("gen=%d: hanging on purpose", rig.gen);
		for (;;)
			pause();
	}

	check_generation();
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(scenarios[i].name, name))
			sc = &scenarios[i];
	if (!sc) {
		rig_tap(0, "unknown scenario %s", name);
		rig_log("gen=%d done next=poweroff", rig.gen);
		power_off();
	}
	ret = sc->run();
	if (ret)
		rig_tap(0, "scenario %s step failed: %d", name, ret);

	if (rig.gen < rig.gens && !rig.failed) {
		/* a scenario may load it itself, before its own last steps */
		if (!rig.loaded)
			corrupt(1);
		if (rig.loaded || rig_kexec_file() == 0) {
			corrupt(0);
			rig_log("gen=%d done next=kexec uptime_ms=%lu", rig.gen,
				uptime_ms());
			/* out before the kernel's own reboot messages */
			tcdrain(STDOUT_FILENO);
			sync();
			reboot(LINUX_REBOOT_CMD_KEXEC);
			rig_tap(0, "reboot(KEXEC) returned: %s", strerror(errno));
		}
	}
	if (rig.gen == rig.gens)
		print_timeline();
	rig_log("gen=%d done next=poweroff uptime_ms=%lu", rig.gen, uptime_ms());
	power_off();
	return 0;
}
