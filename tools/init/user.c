// SPDX-License-Identifier: GPL-2.0
/*
 * user.c - the rig's user-space KHO checks: khoctl, user blobs, and the
 * kexec_load path (khoctl's and Debian's kexec-tools').
 *
 * Knobs (in generation 1 unless said otherwise):
 *   rig.blob=1        add a user blob and try invalid adds (gen 1), read
 *                     it back byte for byte (later generations)
 *   rig.dump=1        print "khoctl status" and "khoctl dump" output
 *                     between RIG: DTS-BEGIN/END lines (the runner feeds
 *                     the DTS to dtc)
 *   rig.status=1      print "khoctl status" (every generation)
 *   rig.badload=1     kexec_load segments outside scratch and over
 *                     preserved memory must be refused
 *   rig.faults=1      an image too large for scratch is refused at load
 *                     time; unloading an image and loading another keeps
 *                     every preserved byte (the next generation checks)
 *   rig.enomem=1      arm fail_page_alloc for this task and read
 *                     kho_test/enomem: preserving with the page
 *                     allocator failing returns -ENOMEM and changes
 *                     nothing (the next generation checks the data)
 *   rig.capture=1     print debugfs kho/out/capture (every generation)
 *                     between RIG: CAP-BEGIN/CAP-END lines in base64,
 *                     for the fuzz target's seed corpus
 *   rig.stress=N      N seconds of preserve/unpreserve/add/remove on all
 *                     CPUs (kho_test/stress) while this init loads and
 *                     unloads kexec images; the next generation verifies
 *   rig.loader=user|kexec-tools   load the next generation with
 *                     kexec_load through khoctl or kexec-tools
 *   rig.stale_root=1  load with kexec-tools, passing the kho_root= this
 *                     kernel was booted with (consumed) instead of its own
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/kexec.h>

#include "rig.h"

#define BLOB_SIZE	3000
#define ADD		"/sys/kernel/debug/kho/out/add"

/* Run @argv; its output (stdout and stderr) into @out. Exit status. */
int rig_run(char *const argv[], char *out, size_t len)
{
	int fds[2], status;
	size_t n = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		/* what it leaves running (a daemon) must not hold the pipe */
		if (fds[1] > 2)
			close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], out + n, len - 1 - n);

		if (r <= 0)
			break;
		n += r;
		if (n == len - 1)
			n = 0;	/* keep the tail only */
	}
	out[n] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * The serial driver sends what we write after we return, while printk()
 * writes at once: wait until our lines are out, or the next kernel
 * message may land inside one.
 */
static void drain(void)
{
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
}

static void print_lines(const char *prefix, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		printf("RIG: %s%.*s\n", prefix, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
	drain();
}

static unsigned char blob_byte(size_t i)
{
	return (i * 7 + 3) & 0xff;
}

/* One write of NAME\n + data to out/add; 0 or the errno. */
static int add_raw(const char *name, const void *data, size_t size)
{
	static char buf[8192];
	int fd, len, err = 0;

	len = snprintf(buf, sizeof(buf), "%s\n", name);
	memcpy(buf + len, data, size);
	fd = open(ADD, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, buf, len + size) < 0)
		err = errno;
	close(fd);
	return err;
}

static void blob_add(void)
{
	static unsigned char data[5000];
	char *argv[] = { "/bin/khoctl", "add", "userblob", "/tmp/blob", NULL };
	char *rm[] = { "/bin/khoctl", "remove", "tmpblob", NULL };
	char out[2048], longname[80];
	size_t i;
	int fd, ret;

	for (i = 0; i < sizeof(data); i++)
		data[i] = blob_byte(i);
	fd = open("/tmp/blob", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, BLOB_SIZE) != BLOB_SIZE) {
		rig_tap(0, "write /tmp/blob: %s", strerror(errno));
		return;
	}
	close(fd);
	ret = rig_run(argv, out, sizeof(out));
	rig_tap(ret == 0, "khoctl add userblob (%d bytes): exit %d %s",
		BLOB_SIZE, ret, out);

	ret = add_raw("bad/name", data, 10);
	rig_tap(ret == EINVAL, "add with '/' in the name: %s", strerror(ret));
	memset(longname, 'a', 70);
	longname[70] = '\0';
	ret = add_raw(longname, data, 10);
	rig_tap(ret == EINVAL || ret == EFBIG, "add with a 70-char name: %s",
		strerror(ret));
	ret = add_raw("toolarge", data, 4097);
	rig_tap(ret == EFBIG, "add of 4097 bytes: %s", strerror(ret));
	memcpy(data, "\xd0\x0d\xfe\xed", 4);
	ret = add_raw("badfdt", data, 100);
	rig_tap(ret == EINVAL, "add of a corrupt FDT: %s", strerror(ret));
	for (i = 0; i < 4; i++)
		data[i] = blob_byte(i);
	ret = add_raw("userblob", data, 10);
	rig_tap(ret == EEXIST, "add of a duplicate name: %s", strerror(ret));
	ret = add_raw("tmpblob", data, 10);
	rig_tap(ret == 0 && rig_run(rm, out, sizeof(out)) == 0 &&
		rig_run(rm, out, sizeof(out)) == 1,
		"add, remove, remove again fails (%s)", out);
	/* nothing half added: the refused names are not in the tree */
	rig_tap(access("/sys/kernel/debug/kho/out/sub/badfdt", F_OK) &&
		access("/sys/kernel/debug/kho/out/sub/toolarge", F_OK) &&
		!access("/sys/kernel/debug/kho/out/sub/userblob", F_OK),
		"refused blobs left nothing behind");
	rig_tap(access("/sys/kernel/debug/kho/out/sub/tmpblob", F_OK),
		"a removed blob's file is gone from out/sub");
	/* added at fs_initcall, before debugfs was set up: listed all the same */
	if (!access("/dev/liveupdate", F_OK))
		rig_tap(!access("/sys/kernel/debug/kho/out/sub/liveupdate", F_OK),
			"out/sub/liveupdate: a client of early boot has its file");
}

static void blob_check(void)
{
	static unsigned char data[8192];
	int n = rig_read_file("/sys/kernel/debug/kho/in/sub/userblob", data,
			      sizeof(data));
	int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += data[i] != blob_byte(i);
	rig_tap(n == BLOB_SIZE && !bad,
		"user blob read back from the previous kernel: %d bytes, %d differ",
		n, bad);
}

static void dump(void)
{
	char *st[] = { "/bin/khoctl", "status", NULL };
	char *dts[] = { "/bin/khoctl", "dump", NULL };
	char *sub[] = { "/bin/khoctl", "dump", "test-kho", NULL };
	static char out[16384];
	int ret;

	ret = rig_run(st, out, sizeof(out));
	rig_tap(ret == 0, "khoctl status");
	print_lines("STATUS ", out);
	ret = rig_run(dts, out, sizeof(out));
	rig_tap(ret == 0 && strstr(out, "/dts-v1/;"), "khoctl dump");
	printf("RIG: DTS-BEGIN root\n");
	print_lines("DTS ", out);
	printf("RIG: DTS-END\n");
	drain();
	ret = rig_run(sub, out, sizeof(out));
	rig_tap(ret == 0, "khoctl dump test-kho");
	printf("RIG: DTS-BEGIN test-kho\n");
	print_lines("DTS ", out);
	printf("RIG: DTS-END\n");
	drain();
}

static long kexec_one(unsigned long mem)
{
	static char page[4096];
	struct kexec_segment seg = {
		.buf = page, .bufsz = sizeof(page),
		.mem = (void *)mem, .memsz = sizeof(page),
	};

	return syscall(SYS_kexec_load, mem, 1UL, &seg, KEXEC_ARCH_X86_64);
}

/* kexec_load must refuse segments outside scratch or over preserved RAM */
static void bad_loads(void)
{
	static char test[4096];
	long ret;
	unsigned long folio;

	ret = kexec_one(0x1000000);
	rig_tap(ret < 0 && errno == EADDRNOTAVAIL,
		"kexec_load of a segment outside scratch refused: %s",
		strerror(errno));
	if (rig_read_file("/sys/kernel/debug/kho_test/status", test,
			  sizeof(test) - 1) < 0)
		return;
	folio = kv_long(test, "first_folio", 0);
	ret = kexec_one(folio);
	rig_tap(folio && ret < 0 && (errno == EBUSY || errno == EADDRNOTAVAIL),
		"kexec_load of a segment over preserved memory (0x%lx) refused: %s",
		folio, strerror(errno));
}

/* Faults on the outgoing side that must lose nothing. */
static void faults(void)
{
	static char chunk[1 << 20];
	int kfd, ifd, i;
	long ret;

	/* an initrd larger than any scratch area */
	ifd = open("/tmp/huge", O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (i = 0; ifd >= 0 && i < 160; i++)
		if (write(ifd, chunk, sizeof(chunk)) != sizeof(chunk))
			break;
	close(ifd);
	/* kexec refuses files open for writing: reopen read-only */
	ifd = open("/tmp/huge", O_RDONLY);
	kfd = open(RIG_KERNEL, O_RDONLY);
	ret = syscall(SYS_kexec_file_load, kfd, ifd, 1, "", 0UL);
	rig_tap(ret < 0 && errno == EADDRNOTAVAIL,
		"kexec_file_load of an image too large for scratch refused at load: %s",
		ret < 0 ? strerror(errno) : "loaded");
	close(ifd);
	unlink("/tmp/huge");
	/* load a small image, unload it: the real load follows */
	ret = syscall(SYS_kexec_file_load, kfd, -1, 1, "",
		      (unsigned long)KEXEC_FILE_NO_INITRAMFS);
	rig_tap(ret == 0, "kexec_file_load of another image: %s",
		ret ? strerror(errno) : "loaded");
	ret = syscall(SYS_kexec_file_load, -1, -1, 0, NULL,
		      (unsigned long)KEXEC_FILE_UNLOAD);
	rig_tap(ret == 0, "kexec_file_load unload: %s",
		ret ? strerror(errno) : "unloaded");
	close(kfd);
}

static uint32_t crc32_le(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffff;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320 & -(c & 1));
	}
	return ~c;
}

/* The outgoing handover as the next kernel's validator would read it. */
static void capture(void)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static unsigned char buf[8 << 20];
	size_t n = 0, i, k;
	char line[80], level[64] = "7";
	ssize_t r = 0;
	int fd = open("/sys/kernel/debug/kho/out/capture", O_RDONLY);

	while (fd >= 0 && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += r;
	if (fd < 0 || r < 0 || n == sizeof(buf)) {
		rig_tap(0, "read kho/out/capture: %s",
			fd < 0 || r < 0 ? strerror(errno) : "too large");
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	/* kernel messages must not land inside the lines: quiet the console */
	rig_read_file("/proc/sys/kernel/printk", level, sizeof(level) - 1);
	rig_write_file("/proc/sys/kernel/printk", "1");
	printf("RIG: CAP-BEGIN gen%d\n", rig.gen);
	for (i = 0; i < n; i += 57) {
		size_t len = n - i < 57 ? n - i : 57, o = 0;

		for (k = 0; k < len; k += 3) {
			uint32_t v = buf[i + k] << 16;

			v |= (k + 1 < len ? buf[i + k + 1] : 0) << 8;
			v |= k + 2 < len ? buf[i + k + 2] : 0;
			line[o++] = b64[v >> 18];
			line[o++] = b64[(v >> 12) & 63];
			line[o++] = k + 1 < len ? b64[(v >> 6) & 63] : '=';
			line[o++] = k + 2 < len ? b64[v & 63] : '=';
		}
		printf("RIG: CAP %.*s\n", (int)o, line);
	}
	printf("RIG: CAP-END %zu %08x\n", n, crc32_le(buf, n));
	drain();
	level[strcspn(level, " \t\n")] = '\0';
	rig_write_file("/proc/sys/kernel/printk", level);
	rig_tap(1, "captured the outgoing handover: %zu bytes", n);
}

/* Preserve with every page allocation of this task failing. */
static void enomem(void)
{
	static const char *const arm[][2] = {
		{ "task-filter", "Y" }, { "ignore-gfp-wait", "N" },
		{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
		{ "interval", "1" }, { "times", "-1" }, { "verbose", "0" },
		{ "probability", "100" },
	};
	static char out[4096];
	char path[128], result[64], same[16];
	unsigned int i;
	int bad = 0, n;

	for (i = 0; i < sizeof(arm) / sizeof(arm[0]); i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/fail_page_alloc/%s", arm[i][0]);
		bad |= rig_write_file(path, arm[i][1]);
	}
	if (bad) {
		rig_tap(0, "arm fail_page_alloc: %s", strerror(errno));
		return;
	}
	n = rig_read_file("/sys/kernel/debug/kho_test/enomem", out,
			  sizeof(out) - 1);
	if (n < 0)
		snprintf(out, sizeof(out), "result: %s\n", strerror(-n));
	else
		out[n] = '\0';
	rig_write_file("/sys/kernel/debug/fail_page_alloc/probability", "0");
	print_lines("ENOMEM ", out);
	if (!kv_get(out, "result", result, sizeof(result)))
		strcpy(result, "?");
	if (!kv_get(out, "tree_unchanged", same, sizeof(same)))
		strcpy(same, "?");
	rig_tap(!strcmp(result, "pass"),
		"preserve with the page allocator failing: %ld of %ld calls -ENOMEM, %ld other errors, %ld left preserved, tree unchanged: %s, retry failures %ld",
		kv_long(out, "enomem", -1), kv_long(out, "calls", -1),
		kv_long(out, "other_errors", -1),
		kv_long(out, "left_preserved_after_enomem", -1),
		same, kv_long(out, "retry_failures", -1));
}

static void stress(long secs)
{
	static char test[4096];
	char arg[16];
	int fd, n, kfd, ifd, loads = 0, bad = 0;

	fd = open("/sys/kernel/debug/kho_test/stress", O_WRONLY);
	n = snprintf(arg, sizeof(arg), "%ld", secs);
	if (fd < 0 || write(fd, arg, n) != n) {
		rig_tap(0, "start stress: %s", strerror(errno));
		return;
	}
	close(fd);
	do {
		kfd = open(RIG_KERNEL, O_RDONLY);
		ifd = open("/sys/firmware/initrd", O_RDONLY);
		if (syscall(SYS_kexec_file_load, kfd, ifd, 1, "", 0UL) ||
		    syscall(SYS_kexec_file_load, -1, -1, 0, NULL,
			    (unsigned long)KEXEC_FILE_UNLOAD))
			bad++;
		loads++;
		close(kfd);
		close(ifd);
		if (rig_read_file("/sys/kernel/debug/kho_test/status", test,
				  sizeof(test) - 1) < 0)
			break;
	} while (kv_long(test, "stress_running", 0) > 0);
	rig_tap(kv_long(test, "stress_errors", -1) == 0 && !bad && loads > 1,
		"stress: %ld preserve/unpreserve/add/remove ops on all CPUs in %ld s, %d kexec loads/unloads meanwhile, %ld+%d errors",
		kv_long(test, "stress_ops", 0), secs, loads,
		kv_long(test, "stress_errors", -1), bad);
}

int scenario_user(void)
{
	char *st[] = { "/bin/khoctl", "status", NULL };
	static char out[8192];
	char v[8], prefix[32];

	if (rig_param("rig.status", v, sizeof(v))) {
		int ret = rig_run(st, out, sizeof(out));

		snprintf(prefix, sizeof(prefix), "STATUS%d ", rig.gen);
		print_lines(prefix, out);
		rig_tap(ret == 0, "khoctl status (exit %d)", ret);
	}
	if (rig_param("rig.blob", v, sizeof(v)))
		rig.gen == 1 ? blob_add() : blob_check();
	if (rig_param("rig.dump", v, sizeof(v)) && rig.gen == 1)
		dump();
	if (rig_param("rig.badload", v, sizeof(v)) && rig.gen == 1)
		bad_loads();
	if (rig_param("rig.faults", v, sizeof(v)) && rig.gen == 1)
		faults();
	if (rig_param("rig.capture", v, sizeof(v)))
		capture();
	if (rig_param("rig.enomem", v, sizeof(v)) && rig.gen == 1)
		enomem();
	if (rig.gen == 1 && rig_param_long("rig.stress", 0) > 0)
		stress(rig_param_long("rig.stress", 0));
	return 0;
}

/* The kexec_load path through khoctl: segments placed in scratch. */
int rig_kexec_user(char *next, size_t len)
{
	char *argv[] = { "/bin/khoctl", "load", "--user", "/boot/bzImage",
			 "--initrd", "/sys/firmware/initrd", "--append", next,
			 NULL };
	static char tmp[4096], out[4096];
	int ret;

	memcpy(tmp, next, len < sizeof(tmp) ? len : sizeof(tmp));
	tmp[sizeof(tmp) - 1] = '\0';
	cmdline_set(next, len, tmp, "rig.via", "user");
	cmdline_set(tmp, sizeof(tmp), next, "rig.loader", NULL);
	memcpy(next, tmp, len);
	ret = rig_run(argv, out, sizeof(out));
	print_lines("khoctl: ", out);
	rig_tap(ret == 0, "khoctl load --user (kexec_load into scratch): exit %d",
		ret);
	return ret ? -1 : 0;
}

/*
 * The kexec_load path through Debian's kexec-tools, with the options the
 * admin guide documents: --mem-min/--mem-max bound every segment to the
 * largest scratch area, --append adds kho_root= (and on arm64 --dtb passes
 * the device tree this kernel booted with, /chosen edited by kexec-tools).
 */
int rig_kexec_tools(char *next, size_t len)
{
	static char status[4096], out[8192], tmp[4096], append[4200];
	char mmin[32], mmax[32], root[32];
	unsigned long best = 0, addr = 0, a, sz;
	unsigned int i;
	int ret;
	/* on arm64, the --dtb flow: the device tree this kernel booted with */
	char *argv[] = { "/sbin/kexec", "-l", RIG_KERNEL,
			 "--initrd=/sys/firmware/initrd", append, mmin, mmax,
			 RIG_ARM64 ? "--dtb=/sys/firmware/fdt" : NULL, NULL };

	/* rig.stale_root=1: hand over the root this kernel received instead */
	if (rig_read_file("/sys/kernel/debug/kho/status", status,
			  sizeof(status) - 1) < 0 ||
	    !kv_get(status, rig_param_long("rig.stale_root", 0) ?
		    "incoming_root" : "root", root, sizeof(root))) {
		rig_tap(0, "kexec-tools: cannot read kho/status");
		return -1;
	}
	for (i = 0; !kv_scratch(status, i, &a, &sz); i++) {
		if (sz > best) {
			best = sz;
			addr = a;
		}
	}
	memcpy(tmp, next, len < sizeof(tmp) ? len : sizeof(tmp));
	tmp[sizeof(tmp) - 1] = '\0';
	cmdline_set(next, len, tmp, "rig.via", "kexec-tools");
	cmdline_set(tmp, sizeof(tmp), next, "rig.loader", NULL);
	cmdline_set(next, len, tmp, "kho_root", root);
	snprintf(append, sizeof(append), "--append=%s", next);
	snprintf(mmin, sizeof(mmin), "--mem-min=0x%lx", addr);
	snprintf(mmax, sizeof(mmax), "--mem-max=0x%lx", addr + best - 1);
	rig_log("gen=%d kexec-tools: %s %s %s %s %s %s", rig.gen, argv[0],
		argv[1], argv[2], argv[3], mmin, mmax);
	ret = rig_run(argv, out, sizeof(out));
	print_lines("kexec-tools: ", out);
	rig_tap(ret == 0, "kexec-tools kexec -l with --mem-min/--mem-max in scratch: exit %d",
		ret);
	return ret ? -1 : 0;
}
