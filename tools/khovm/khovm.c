// SPDX-License-Identifier: GPL-2.0
/*
 * khovm.c - the VM live update agent: QEMU guests whose RAM is a memfd
 * are kept across a kexec into the next kernel, their memory never copied.
 *
 *   khovm start [--hugepages=SIZE] NAME MIB [-- QEMU-ARGS...]
 *                 start a QEMU VM whose MIB MiB of RAM are a memfd the
 *                 agent made, with a QMP socket of its own; with
 *                 --hugepages (2M, 1G), a hugetlb memfd of that page
 *                 size, its pages reserved from the pool up front (ram.c)
 *   khovm list    the VMs of this kernel, and those kept by the previous
 *   khovm save    before "kexec -e": stop every VM, save its device state
 *                 (QEMU's migration with x-ignore-shared: RAM stays where
 *                 it is) into a memfd, preserve RAM, device state and the
 *                 VM's description in one live update session per VM
 *                 ("khovm:NAME"), and hold the sessions in the background
 *   khovm restore in the next kernel: retrieve each VM's session, check
 *                 its RAM is the RAM that was saved, start QEMU on it with
 *                 -incoming, load the device state, resume, FINISH
 *   khovm discard NAME
 *                 give up a VM kept by the previous kernel: FINISH its
 *                 session, freeing its memory
 *   khovm rehearse NAME
 *                 save and restore one VM in this kernel, no live update:
 *                 proves it can be updated
 *   khovm save-to FILE NAME, khovm restore-from FILE
 *                 without live update: the whole VM, RAM included, written
 *                 to FILE (a disk) and read back into new RAM after the
 *                 reboot; the way a host without this product goes, and
 *                 the blackout benchmark's reference
 *
 * After a restore, one line gives where the blackout went, on the clock
 * the kexec timeline measures the reboot with (clock.c):
 *
 *   khovm: NAME phases (ms): save= wait= reboot= agent= retrieve= qemu=
 *          load= resume= blackout=
 *
 * QEMU is Debian's 7.2, unmodified: guest RAM is
 * "-object memory-backend-file,mem-path=/proc/self/fd/N,share=on" on the
 * memfd it inherits as fd N. A VM whose session did not come back, whose
 * RAM is not the one saved (a blank memfd would resume a blank guest:
 * x-ignore-shared loads no RAM) or whose state does not load is reported
 * by name with the reason and never started; its session is left for
 * "khovm discard" or another try.
 *
 * State lives in $KHOVM_DIR (default /run/khovm): NAME.pid, NAME.qmp,
 * NAME.log (QEMU's output), NAME.vm (the description).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kexec_timeline.h>
#include <linux/liveupdate.h>

#include "khovm.h"

#define LU_DEV		"/dev/liveupdate"
#define LU_LIST		"/sys/kernel/liveupdate/sessions"
#define PREFIX		"khovm:"
#define T_RAM		1
#define T_STATE		2
#define T_DESC		3
#define RAM_FD		3	/* QEMU's fd for the RAM memfd */

const char *vm_dir(void)
{
	const char *d = getenv("KHOVM_DIR");

	return d && *d ? d : "/run/khovm";
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("khovm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("khovm: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void path_of(char *buf, size_t len, const char *name, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", vm_dir(), name, ext);
}

static bool name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (!len || len + strlen(PREFIX) >= LIVEUPDATE_SESSION_NAME_LENGTH)
		return false;
	for (i = 0; i < len; i++)
		if (!(n[i] == '-' || n[i] == '_' || (n[i] >= '0' && n[i] <= '9') ||
		      (n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z')))
			return false;
	return true;
}

/* ---- /dev/liveupdate ---- */

static int lu_open(void)
{
	int fd = open(LU_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s%s", LU_DEV, strerror(errno),
		    errno == EBUSY ? " (another agent has it open)" : "");
	return fd;
}

static int lu_session(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	return ioctl(dev, cmd, &a) ? -errno : a.fd;
}

static int lu_preserve(int s, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a), .fd = fd, .token = token,
	};
	int tries;

	/* EBUSY: a page pinned for I/O could not move yet; try again */
	for (tries = 0; tries < 20; tries++) {
		if (!ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &a))
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	return -errno;
}

static int lu_retrieve(int s, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a), .fd = -1, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) ? -errno : a.fd;
}

static int lu_finish(int s)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(s, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}

/* ---- the VM description ---- */

static int memfd_of(const char *what, const void *data, size_t len)
{
	int fd = memfd_create(what, MFD_CLOEXEC);

	if (fd < 0 || (len && pwrite(fd, data, len, 0) != (ssize_t)len))
		die("memfd for %s: %s", what, strerror(errno));
	return fd;
}

/* FNV-1a */
static uint64_t hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/*
 * Sample the RAM: up to SAMPLES pages that are not zero, one from each
 * stretch of the memfd (the first non-zero page of the stretch), with
 * their hashes. A blank memfd, or another VM's, cannot match them.
 */
int ram_samples(int fd, uint64_t size, struct vm_desc *d)
{
	uint64_t pages = size / PG, stretch = pages / SAMPLES, s, p, lim;
	uint8_t *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	static const uint8_t zero[PG];

	if (m == MAP_FAILED)
		return -errno;
	d->nr_samples = 0;
	for (s = 0; stretch && s < SAMPLES; s++) {
		lim = (s + 1) * stretch;
		for (p = s * stretch; p < lim; p++) {
			if (!memcmp(m + p * PG, zero, PG))
				continue;
			d->sample[d->nr_samples].page = p;
			d->sample[d->nr_samples++].hash = hash(m + p * PG, PG);
			break;
		}
	}
	munmap(m, size);
	return 0;
}

/* Why @fd is not the RAM @d describes, or NULL */
const char *ram_check(int fd, const struct vm_desc *d)
{
	static char why[128];
	const char *no;
	struct stat st;
	uint8_t *m;
	void *map;
	unsigned int i;
	int shift;

	if (fstat(fd, &st))
		return "cannot stat the RAM memfd";
	if ((uint64_t)st.st_size != d->ram_bytes) {
		snprintf(why, sizeof(why), "RAM is %lld bytes, %" PRIu64 " were saved",
			 (long long)st.st_size, d->ram_bytes);
		return why;
	}
	shift = ram_huge_shift_of(fd);
	if (shift != (int)d->ram_huge_shift) {
		snprintf(why, sizeof(why), "RAM is%s, it was saved%s",
			 shift > 0 ? ram_kind(shift) : " not in huge pages",
			 d->ram_huge_shift ? ram_kind(d->ram_huge_shift) :
			 " not in huge pages");
		return why;
	}
	if (!d->nr_samples)
		return "no page of the saved RAM was written: nothing to check it against";
	/* and the huge pages the guest never touched: from this kernel's pool */
	no = ram_map(fd, d->ram_bytes, d->ram_huge_shift, &map);
	if (no)
		return no;
	m = map;
	for (i = 0; i < d->nr_samples; i++)
		if (hash(m + d->sample[i].page * PG, PG) != d->sample[i].hash)
			break;
	munmap(m, d->ram_bytes);
	if (i < d->nr_samples) {
		snprintf(why, sizeof(why),
			 "RAM page %" PRIu64 " differs from the one saved (blank or other memory)",
			 d->sample[i].page);
		return why;
	}
	return NULL;
}

static void write_desc(const char *name, const struct vm_desc *d)
{
	char path[512];
	int fd;

	path_of(path, sizeof(path), name, "vm");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, d, sizeof(*d)) != (ssize_t)sizeof(*d))
		die("%s: %s", path, strerror(errno));
	close(fd);
}

static int read_desc_fd(int fd, struct vm_desc *d)
{
	if (pread(fd, d, sizeof(*d), 0) != (ssize_t)sizeof(*d) ||
	    memcmp(d->magic, DESC_MAGIC, sizeof(d->magic)) ||
	    d->nr_args > MAX_ARGS || d->args_len > sizeof(d->args) ||
	    d->nr_samples > SAMPLES || !d->ram_bytes ||
	    (d->ram_huge_shift && (d->ram_huge_shift < HUGE_SHIFT_MIN ||
				   d->ram_huge_shift > HUGE_SHIFT_MAX ||
				   d->ram_bytes & ((1ULL << d->ram_huge_shift) - 1))))
		return -1;
	d->name[sizeof(d->name) - 1] = 0;
	d->args[sizeof(d->args) - 1] = 0;
	return 0;
}

static int read_desc(const char *name, struct vm_desc *d)
{
	char path[512];
	int fd, r;

	path_of(path, sizeof(path), name, "vm");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read_desc_fd(fd, d);
	close(fd);
	return r;
}

/* ---- QEMU ---- */

/*
 * Start QEMU for @d on the RAM memfd @ram (as fd RAM_FD), with
 * "-incoming defer" when @incoming. Returns its pid.
 */
static pid_t spawn_qemu(const struct vm_desc *d, int ram, bool incoming)
{
	static char qmp[512], qmparg[600];
	char log[512], obj[256], mem[32];
	uint64_t align = 2ULL << 20;
	const char *argv[MAX_ARGS + 24];
	const char *a = d->args;
	unsigned int i, n = 0;
	pid_t pid;
	int lfd;

	path_of(qmp, sizeof(qmp), d->name, "qmp");
	path_of(log, sizeof(log), d->name, "log");
	unlink(qmp);
	/*
	 * align=2M: QEMU maps a file at its page size (4 KiB for shmem), and
	 * a mapping not 2 MiB aligned gets no huge folio from a fault; for
	 * hugetlb RAM QEMU wants a multiple of the huge page size
	 */
	if (d->ram_huge_shift > 21)
		align = 1ULL << d->ram_huge_shift;
	snprintf(obj, sizeof(obj),
		 "memory-backend-file,id=khovm-ram,size=%" PRIu64 ",mem-path=/proc/self/fd/%d,share=on,align=%" PRIu64 "K",
		 d->ram_bytes, RAM_FD, align >> 10);
	snprintf(mem, sizeof(mem), "%" PRIu64 "M", d->ram_bytes >> 20);
	argv[n++] = d->qemu;
	for (i = 0; i < d->nr_args; i++, a += strlen(a) + 1)
		argv[n++] = a;
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-object";
	argv[n++] = obj;
	argv[n++] = "-machine";
	argv[n++] = "memory-backend=khovm-ram";
	snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", qmp);
	argv[n++] = "-qmp";
	argv[n++] = qmparg;
	if (incoming) {
		argv[n++] = "-incoming";
		argv[n++] = "defer";
	}
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		lfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		if (ram != RAM_FD && dup2(ram, RAM_FD) < 0)
			_exit(126);
		fcntl(RAM_FD, F_SETFD, 0);
		/* nothing else of ours: QEMU outlives us */
		for (i = RAM_FD + 1; i < 1024; i++)
			close(i);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

/* @pid runs (a zombie does not: QEMU's parent may be gone, or be init) */
static bool alive(pid_t pid)
{
	char path[64], buf[256], *p;
	int st, fd;
	ssize_t n;

	if (pid <= 0 || waitpid(pid, &st, WNOHANG) == pid || kill(pid, 0))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	/* "PID (COMM) STATE ...": COMM may hold spaces and parentheses */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* connect to @d's QMP socket, for up to @secs */
static int qmp_wait(const struct vm_desc *d, pid_t pid, int secs)
{
	char path[512];
	double end = now_ms() + secs * 1e3;
	int q;

	path_of(path, sizeof(path), d->name, "qmp");
	while (now_ms() < end) {
		q = qmp_connect(path);
		if (q >= 0)
			return q;
		if (pid && !alive(pid))
			return -1;
		/* QEMU's start is part of the blackout: try often */
		usleep(5000);
	}
	return -1;
}

static void write_pid(const char *name, pid_t pid)
{
	char path[512];
	FILE *f;

	path_of(path, sizeof(path), name, "pid");
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "%d\n", pid);
	fclose(f);
}

static pid_t read_pid(const char *name)
{
	char path[512];
	FILE *f;
	int pid = 0;

	path_of(path, sizeof(path), name, "pid");
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/* the end of QEMU's output for VM @name, when it failed */
static void print_log(const char *name)
{
	char path[512], buf[2048];
	off_t end;
	ssize_t n;
	int fd;

	path_of(path, sizeof(path), name, "log");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1,
		  end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		fprintf(stderr, "khovm: %s: QEMU said:\n%s", name, buf);
	}
}

/* ---- device state: QEMU's migration, RAM left out (x-ignore-shared) ---- */

#define SHARED_CAP(on) "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":" on "}]}}"

/*
 * x-ignore-shared on (RAM left where it is) or off (RAM in the stream),
 * said every time: a QEMU that "khovm rehearse" restarted has it on, and
 * a "khovm save-to" of it must still write the RAM
 */
static int ignore_shared(int q, bool on)
{
	return qmp_cmd(q, on ? SHARED_CAP("true") : SHARED_CAP("false"), NULL, 0);
}

/* QEMU 7.2 migrates at 32 MiB/s unless told otherwise: no limit here */
#define NO_THROTTLE "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1099511627776}}"

/*
 * Stop the VM on @q and write its device state to @state (its RAM too
 * unless @shared: RAM that stays where it is): 0 or -1
 */
static int save_state(int q, int state, char *status, size_t len, bool shared)
{
	return qmp_cmd(q, "{\"execute\":\"stop\"}", NULL, 0) ||
	       qmp_cmd(q, NO_THROTTLE, NULL, 0) ||
	       ignore_shared(q, shared) ||
	       qmp_send_fd(q, "khovm-state", state) ||
	       qmp_cmd(q, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:khovm-state\"}}",
		       NULL, 0) ||
	       qmp_wait_migration(q, status, len, shared ? 120 : 1800) ? -1 : 0;
}

/* kclock() when QEMU was up, its state loaded, the guest running again */
struct load_times {
	uint64_t qemu, loaded, resumed;
};

/*
 * Start QEMU for @d on @ram, load the device state @state from offset
 * @at (all of the VM's RAM too unless @shared) and resume: NULL, or why
 * not (QEMU, if started, is left for the caller in *@pid). @t: when.
 */
static const char *load_state(const struct vm_desc *d, int ram, int state,
			      off_t at, bool shared, pid_t *pid, int *q,
			      struct load_times *t)
{
	const char *why;
	char status[64];

	*pid = spawn_qemu(d, ram, true);
	*q = qmp_wait(d, *pid, 60);
	if (*q < 0) {
		print_log(d->name);
		return "QEMU did not start";
	}
	t->qemu = kclock();
	if (lseek(state, at, SEEK_SET) != at ||
	    ignore_shared(*q, shared) ||
	    qmp_send_fd(*q, "khovm-state", state) ||
	    qmp_cmd(*q, "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:khovm-state\"}}",
		    NULL, 0) ||
	    qmp_wait_migration(*q, status, sizeof(status), shared ? 120 : 1800))
		return "its device state did not load";
	t->loaded = kclock();
	/* RAM that came with the state: the pages sampled at the save */
	why = shared ? NULL : ram_check(ram, d);
	if (why)
		return why;
	if (qmp_cmd(*q, "{\"execute\":\"cont\"}", NULL, 0))
		return "it did not resume";
	t->resumed = kclock();
	return NULL;
}

/*
 * Where the blackout of VM @d went, on the clock that spans the reboot:
 * stopped at d->stop_clock, restore started at @start, files retrieved
 * and checked at @got, then @t. One line, "NAME phases (ms): k=v ...";
 * without a recorded kexec reboot (no timeline), the wall clock's total.
 */
static void say_phases(const struct vm_desc *d, uint64_t start, uint64_t got,
		       const struct load_times *t)
{
	struct kexec_tl_record r;
	uint32_t khz;

	if (kclock_reboot(&r)) {
		say("%s phases (ms): blackout=%.0f (wall clock: no kexec timeline to measure a reboot with)",
		    d->name, now_ms() - d->stopped_ms);
		return;
	}
	khz = r.in_khz;
	say("%s phases (ms): save=%.1f wait=%.1f reboot=%.1f agent=%.1f retrieve=%.1f qemu=%.1f load=%.1f resume=%.1f blackout=%.1f",
	    d->name, kclock_ms(d->stop_clock, d->saved_clock, khz),
	    kclock_ms(d->saved_clock, r.t[KEXEC_TL_REBOOT], khz),
	    kclock_ms(r.t[KEXEC_TL_REBOOT], r.t[KEXEC_TL_INIT], khz),
	    kclock_ms(r.t[KEXEC_TL_INIT], start, khz),
	    kclock_ms(start, got, khz), kclock_ms(got, t->qemu, khz),
	    kclock_ms(t->qemu, t->loaded, khz),
	    kclock_ms(t->loaded, t->resumed, khz),
	    kclock_ms(d->stop_clock, t->resumed, khz));
}

/* wait up to 10 s for @pid (not our child, maybe) to be gone */
static void wait_gone(pid_t pid)
{
	int i;

	for (i = 0; i < 1000 && alive(pid); i++)
		usleep(10000);
}

/* ---- start ---- */

static int cmd_start(int argc, char **argv)
{
	struct vm_desc *d = calloc(1, sizeof(*d));
	const char *qemu = getenv("KHOVM_QEMU");
	size_t off = 0, l;
	int i, ram, q, huge = 0;
	pid_t pid;

	if (argc > 1 && !strncmp(argv[1], "--hugepages=", 12)) {
		huge = ram_huge_shift(argv[1] + 12);
		if (huge < 0)
			die("--hugepages=%s: not a huge page size (2M, 1G)", argv[1] + 12);
		argc--;
		argv++;
	}
	if (argc < 3 || !name_ok(argv[1]) || atol(argv[2]) <= 0)
		die("usage: khovm start [--hugepages=2M|1G] NAME MIB [-- QEMU-ARGS...] (NAME: letters, digits, - and _)");
	if (read_pid(argv[1]) && alive(read_pid(argv[1])))
		die("%s is running already", argv[1]);
	memcpy(d->magic, DESC_MAGIC, sizeof(d->magic));
	snprintf(d->name, sizeof(d->name), "%s", argv[1]);
	snprintf(d->qemu, sizeof(d->qemu), "%s", qemu ? qemu : "qemu-system-x86_64");
	d->ram_bytes = (uint64_t)atol(argv[2]) << 20;
	d->ram_huge_shift = huge;
	for (i = 3; i < argc; i++) {
		if (i == 3 && !strcmp(argv[i], "--"))
			continue;
		l = strlen(argv[i]) + 1;
		if (d->nr_args == MAX_ARGS || off + l > sizeof(d->args))
			die("QEMU command line too long");
		memcpy(d->args + off, argv[i], l);
		off += l;
		d->nr_args++;
	}
	d->args_len = off;
	mkdir(vm_dir(), 0700);
	ram = ram_create(d->name, d->ram_bytes, d->ram_huge_shift);
	write_desc(d->name, d);
	pid = spawn_qemu(d, ram, false);
	close(ram);
	q = qmp_wait(d, pid, 60);
	if (q < 0) {
		print_log(d->name);
		die("%s: QEMU did not start (see %s/%s.log)", d->name, vm_dir(), d->name);
	}
	close(q);
	write_pid(d->name, pid);
	say("%s started: QEMU pid %d, %" PRIu64 " MiB of RAM in a memfd%s",
	    d->name, pid, d->ram_bytes >> 20, ram_kind(d->ram_huge_shift));
	free(d);
	return 0;
}

/* ---- save ---- */

struct saved {
	char name[NAME_LEN];
	int session;
};

/* Save VM @name into a new session; the session fd, or -1 (reported) */
static int save_one(int dev, const char *name)
{
	struct vm_desc d;
	char sess[LIVEUPDATE_SESSION_NAME_LENGTH], path[64], status[64] = "";
	pid_t pid = read_pid(name);
	int q = -1, state = -1, ram = -1, desc = -1, s = -1, err;
	double t0, t_state, t_sample, t_keep;
	struct stat st;

	if (read_desc(name, &d) || !pid || !alive(pid)) {
		say("%s: not running, not saved", name);
		return -1;
	}
	q = qmp_wait(&d, pid, 5);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, RAM_FD);
	ram = open(path, O_RDWR | O_CLOEXEC);
	if (q < 0 || ram < 0) {
		say("%s: no QMP socket or RAM memfd (%s), not saved", name,
		    strerror(errno));
		goto fail;
	}
	state = memfd_create("khovm-state", MFD_CLOEXEC);
	t0 = now_ms();
	d.stop_clock = kclock();
	if (save_state(q, state, status, sizeof(status), true)) {
		say("%s: device state not saved (%s); the VM runs on", name,
		    status[0] ? status : "QMP error");
		qmp_cmd(q, "{\"execute\":\"cont\"}", NULL, 0);
		goto fail;
	}
	d.stopped_ms = t0;
	t_state = now_ms();
	err = ram_samples(ram, d.ram_bytes, &d);
	t_sample = now_ms();
	fstat(state, &st);
	d.state_bytes = st.st_size;
	snprintf(sess, sizeof(sess), PREFIX "%s", name);
	s = lu_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, sess);
	desc = memfd_of("khovm-desc", &d, sizeof(d));
	err = err ?: s < 0 ? s : lu_preserve(s, ram, T_RAM);
	err = err ?: lu_preserve(s, state, T_STATE);
	err = err ?: lu_preserve(s, desc, T_DESC);
	t_keep = now_ms();
	if (err) {
		say("%s: not preserved (%s); the VM runs on", name, strerror(-err));
		qmp_cmd(q, "{\"execute\":\"cont\"}", NULL, 0);
		if (s >= 0)
			close(s);
		s = -1;
		goto fail;
	}
	/* QEMU's part is done: its RAM and state are the session's now */
	qmp_cmd(q, "{\"execute\":\"quit\"}", NULL, 0);
	wait_gone(pid);
	/* the end of the save, in place in the kept description's page */
	d.saved_clock = kclock();
	if (pwrite(desc, &d, sizeof(d), 0) != (ssize_t)sizeof(d))
		say("%s: the end of its save not recorded (%s)", name, strerror(errno));
	say("%s saved: %" PRIu64 " MiB of RAM%s kept in place, %.1f KiB of device state, %u RAM samples; stopped for %.0f ms so far (state %.0f, samples %.0f, preserve %.0f, QEMU exit %.0f)",
	    name, d.ram_bytes >> 20, ram_kind(d.ram_huge_shift),
	    d.state_bytes / 1024.0, d.nr_samples,
	    now_ms() - t0, t_state - t0, t_sample - t_state, t_keep - t_sample,
	    now_ms() - t_keep);
	close(q);
	close(ram);
	close(state);
	close(desc);
	return s;
fail:
	if (q >= 0)
		close(q);
	if (ram >= 0)
		close(ram);
	if (state >= 0)
		close(state);
	if (desc >= 0)
		close(desc);
	return -1;
}

static int cmd_save(int argc, char **argv)
{
	struct saved *v = NULL;
	int nr = 0, failed = 0, dev, s, i;
	struct dirent *e;
	char name[NAME_LEN];
	DIR *dir;
	pid_t pid;

	(void)argc;
	(void)argv;
	dir = opendir(vm_dir());
	if (!dir)
		die("%s: %s (no VM started)", vm_dir(), strerror(errno));
	dev = lu_open();
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);

		if (l < 4 || l - 3 >= NAME_LEN || strcmp(e->d_name + l - 3, ".vm"))
			continue;
		memcpy(name, e->d_name, l - 3);
		name[l - 3] = 0;
		s = save_one(dev, name);
		if (s < 0) {
			failed++;
			continue;
		}
		v = realloc(v, (nr + 1) * sizeof(*v));
		snprintf(v[nr].name, NAME_LEN, "%s", name);
		v[nr++].session = s;
	}
	closedir(dir);
	close(dev);
	if (!nr)
		die("no VM saved");
	/* the sessions must stay open until the reboot: a holder keeps them */
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		/* let go of the caller's output, so that it sees us done */
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		for (;;)
			pause();
	}
	for (i = 0; i < nr; i++)
		close(v[i].session);
	say("%d VM%s saved, %d not; sessions held by pid %d: run kexec -e now",
	    nr, nr == 1 ? "" : "s", failed, pid);
	return failed ? 2 : 0;
}

/* ---- restore ---- */

static char *read_text(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		return NULL;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += r;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* the names of the incoming "khovm:" sessions not finished; -1: no list */
static int incoming_vms(char names[][NAME_LEN], int max, char *records,
			size_t rlen)
{
	char *text = read_text(LU_LIST), *l, *e, *save = NULL;
	int n = 0;

	snprintf(records, rlen, "unknown");
	if (!text)
		return -1;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "incoming_records: ", 18))
			snprintf(records, rlen, "%s", l + 18);
		if (strncmp(l, "incoming " PREFIX, strlen("incoming " PREFIX)) ||
		    n == max)
			continue;
		l += strlen("incoming " PREFIX);
		e = strstr(l, " files=");
		if (!e || e - l >= NAME_LEN || strstr(e, "state=finished"))
			continue;
		memcpy(names[n], l, e - l);
		names[n++][e - l] = 0;
	}
	free(text);
	return n;
}

/* Restore VM @name from its incoming session: 0, or -1 (reported) */
static int restore_one(int dev, const char *name)
{
	char sess[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s, ram = -1, state = -1, desc = -1, q = -1;
	const char *why = NULL;
	struct vm_desc d;
	struct load_times t;
	double t0 = now_ms();
	uint64_t start = kclock(), got;
	pid_t pid = 0;

	snprintf(sess, sizeof(sess), PREFIX "%s", name);
	s = lu_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, sess);
	if (s < 0) {
		say("%s lost: session %s: %s", name, sess, strerror(-s));
		return -1;
	}
	ram = lu_retrieve(s, T_RAM);
	state = lu_retrieve(s, T_STATE);
	desc = lu_retrieve(s, T_DESC);
	if (ram < 0 || state < 0 || desc < 0)
		why = "a file of its session did not come back";
	else if (read_desc_fd(desc, &d) || strcmp(d.name, name))
		why = "its description is damaged";
	else
		why = ram_check(ram, &d);
	if (why)
		goto lost;
	write_desc(name, &d);
	got = kclock();
	why = load_state(&d, ram, state, 0, true, &pid, &q, &t);
	if (why)
		goto lost;
	write_pid(name, pid);
	lu_finish(s);
	say("%s restored and running: QEMU pid %d, %" PRIu64 " MiB of RAM%s as it was (restore %.0f ms)",
	    name, pid, d.ram_bytes >> 20, ram_kind(d.ram_huge_shift),
	    now_ms() - t0);
	say_phases(&d, start, got, &t);
	close(q);
	close(s);
	close(ram);
	close(state);
	close(desc);
	return 0;
lost:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	say("%s lost: %s; not started, its session is kept (khovm discard %s gives it up)",
	    name, why, name);
	if (q >= 0)
		close(q);
	if (ram >= 0)
		close(ram);
	if (state >= 0)
		close(state);
	if (desc >= 0)
		close(desc);
	close(s);
	return -1;
}

static int cmd_restore(int argc, char **argv)
{
	static char names[64][NAME_LEN];
	char records[128], expect[4096], *w, *save = NULL;
	int n, i, dev, failed = 0, ok = 0;

	mkdir(vm_dir(), 0700);
	n = incoming_vms(names, 64, records, sizeof(records));
	if (n < 0)
		die("%s: %s (kernel without live update?)", LU_LIST, strerror(errno));
	/* --expect A,B: VMs the caller knows were saved, reported if missing */
	if (argc > 2 && !strcmp(argv[1], "--expect")) {
		snprintf(expect, sizeof(expect), "%s", argv[2]);
		for (w = strtok_r(expect, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			for (i = 0; i < n && strcmp(names[i], w); i++)
				;
			if (i == n) {
				say("%s lost: no session %s%s came back (live update records: %s)",
				    w, PREFIX, w, records);
				failed++;
			}
		}
	}
	if (!n) {
		say("no VM kept by the previous kernel (live update records: %s)", records);
		return failed ? 2 : 0;
	}
	dev = lu_open();
	for (i = 0; i < n; i++) {
		if (restore_one(dev, names[i]))
			failed++;
		else
			ok++;
	}
	close(dev);
	say("%d VM%s restored, %d lost", ok, ok == 1 ? "" : "s", failed);
	return failed ? 2 : 0;
}

/* ---- without live update: the whole VM to a file and back ---- */

#define STREAM_AT	(1 << 20)	/* the description first, then QEMU's stream */

/*
 * The running VM @name for a command that works on it: its QMP socket
 * and RAM memfd, or the command dies with @usage or the reason.
 */
static void attach(const char *name, const char *usage, struct vm_desc *d,
		   pid_t *pid, int *q, int *ram)
{
	char path[64];

	if (!name || read_desc(name, d))
		die("%s", usage);
	*pid = read_pid(name);
	*q = *pid && alive(*pid) ? qmp_wait(d, *pid, 5) : -1;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", *pid, RAM_FD);
	*ram = open(path, O_RDWR | O_CLOEXEC);
	if (*q < 0 || *ram < 0)
		die("%s: not running, or no QMP socket or RAM memfd", name);
}

/*
 * khovm save-to FILE NAME: what a host without live update does, and
 * the reference the blackout benchmark measures against: stop the VM,
 * write all of it (RAM included) with QEMU's migration to FILE (a disk
 * or a file on one), flush it, quit QEMU.
 */
static int cmd_save_to(int argc, char **argv)
{
	char status[64] = "";
	struct vm_desc d;
	pid_t pid;
	int q, ram, fd;
	double t0;

	attach(argc == 3 ? argv[2] : NULL,
	       "usage: khovm save-to FILE NAME (a VM khovm started)",
	       &d, &pid, &q, &ram);
	fd = open(argv[1], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || lseek(fd, STREAM_AT, SEEK_SET) != STREAM_AT)
		die("%s: %s", argv[1], strerror(errno));
	t0 = now_ms();
	d.stop_clock = kclock();
	d.stopped_ms = t0;
	if (save_state(q, fd, status, sizeof(status), false)) {
		qmp_cmd(q, "{\"execute\":\"cont\"}", NULL, 0);
		die("%s: not saved to %s (%s); the VM runs on", argv[2], argv[1],
		    status[0] ? status : "QMP error");
	}
	d.state_bytes = lseek(fd, 0, SEEK_CUR) - STREAM_AT;
	if (ram_samples(ram, d.ram_bytes, &d) || fdatasync(fd)) {
		qmp_cmd(q, "{\"execute\":\"cont\"}", NULL, 0);
		die("%s: not saved to %s (%s); the VM runs on", argv[2], argv[1],
		    strerror(errno));
	}
	qmp_cmd(q, "{\"execute\":\"quit\"}", NULL, 0);
	wait_gone(pid);
	d.saved_clock = kclock();
	if (pwrite(fd, &d, sizeof(d), 0) != (ssize_t)sizeof(d) || fdatasync(fd))
		die("%s: %s: %s (the VM is stopped, its stream written)", argv[2],
		    argv[1], strerror(errno));
	close(fd);
	close(ram);
	close(q);
	say("%s saved to %s: %.1f MiB (RAM and device state); stopped for %.0f ms so far",
	    argv[2], argv[1], d.state_bytes / 1048576.0, now_ms() - t0);
	return 0;
}

/* khovm restore-from FILE: the VM that save-to wrote, into new RAM */
static int cmd_restore_from(int argc, char **argv)
{
	uint64_t start = kclock(), got;
	struct load_times t;
	struct vm_desc d;
	const char *why;
	int fd, ram, q = -1;
	pid_t pid = 0;

	if (argc != 2)
		die("usage: khovm restore-from FILE");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_desc_fd(fd, &d))
		die("%s: %s", argv[1], fd < 0 ? strerror(errno) :
		    "no VM saved there by khovm save-to");
	mkdir(vm_dir(), 0700);
	ram = ram_create(d.name, d.ram_bytes, d.ram_huge_shift);
	write_desc(d.name, &d);
	got = kclock();
	why = load_state(&d, ram, fd, STREAM_AT, false, &pid, &q, &t);
	if (why) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		die("%s not restored from %s: %s", d.name, argv[1], why);
	}
	write_pid(d.name, pid);
	say("%s restored from %s and running: QEMU pid %d, %" PRIu64 " MiB of RAM%s read back",
	    d.name, argv[1], pid, d.ram_bytes >> 20, ram_kind(d.ram_huge_shift));
	say_phases(&d, start, got, &t);
	close(q);
	close(ram);
	close(fd);
	return 0;
}

static int cmd_discard(int argc, char **argv)
{
	char sess[LIVEUPDATE_SESSION_NAME_LENGTH];
	int dev, s, r;

	if (argc != 2 || !name_ok(argv[1]))
		die("usage: khovm discard NAME");
	snprintf(sess, sizeof(sess), PREFIX "%s", argv[1]);
	dev = lu_open();
	s = lu_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, sess);
	if (s < 0)
		die("session %s: %s", sess, strerror(-s));
	r = lu_finish(s);
	if (r)
		die("FINISH of %s: %s", sess, strerror(-r));
	say("%s discarded: its memory is free", argv[1]);
	return 0;
}

static int cmd_list(void)
{
	static char names[64][NAME_LEN];
	char records[128], name[NAME_LEN];
	struct vm_desc d;
	struct dirent *e;
	DIR *dir = opendir(vm_dir());
	int n, i;
	pid_t pid;

	while (dir && (e = readdir(dir))) {
		size_t l = strlen(e->d_name);

		if (l < 4 || l - 3 >= NAME_LEN || strcmp(e->d_name + l - 3, ".vm"))
			continue;
		memcpy(name, e->d_name, l - 3);
		name[l - 3] = 0;
		pid = read_pid(name);
		if (read_desc(name, &d))
			continue;
		printf("%-24s %8" PRIu64 " MiB  %s%s\n", name, d.ram_bytes >> 20,
		       pid && alive(pid) ? "running" : "stopped",
		       ram_kind(d.ram_huge_shift));
	}
	if (dir)
		closedir(dir);
	n = incoming_vms(names, 64, records, sizeof(records));
	for (i = 0; i < n; i++)
		printf("%-24s %8s      kept by the previous kernel\n", names[i], "");
	return 0;
}

/* ---- rehearse ---- */

/*
 * What save and restore do to a VM, in this kernel and without a live
 * update: stop, save the device state, quit QEMU, start it again on the
 * same RAM memfd, load, check, resume. Proves a VM can be updated.
 */
static int cmd_rehearse(int argc, char **argv)
{
	char status[64] = "";
	const char *why;
	struct vm_desc d;
	struct load_times t;
	int q, ram, state, q2 = -1;
	double t0;
	pid_t pid, pid2 = 0;

	attach(argc == 2 ? argv[1] : NULL,
	       "usage: khovm rehearse NAME (a VM khovm started)",
	       &d, &pid, &q, &ram);
	state = memfd_create("khovm-state", MFD_CLOEXEC);
	t0 = now_ms();
	if (save_state(q, state, status, sizeof(status), true))
		die("%s: device state not saved (%s)", argv[1], status);
	if (ram_samples(ram, d.ram_bytes, &d))
		die("%s: cannot sample its RAM", argv[1]);
	qmp_cmd(q, "{\"execute\":\"quit\"}", NULL, 0);
	close(q);
	wait_gone(pid);
	why = ram_check(ram, &d);
	why = why ?: load_state(&d, ram, state, 0, true, &pid2, &q2, &t);
	if (why) {
		if (pid2 > 0)
			kill(pid2, SIGKILL);
		die("%s: %s", argv[1], why);
	}
	write_pid(argv[1], pid2);
	say("%s rehearsed: stopped, saved, restarted on the same RAM and resumed in %.0f ms (QEMU pid %d)",
	    argv[1], now_ms() - t0, pid2);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		die("usage: khovm start|list|save|restore|discard|rehearse|save-to|restore-from ...");
	if (!strcmp(argv[1], "start"))
		return cmd_start(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	if (!strcmp(argv[1], "save"))
		return cmd_save(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(argv[1], "save-to"))
		return cmd_save_to(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore-from"))
		return cmd_restore_from(argc - 1, argv + 1);
	if (!strcmp(argv[1], "discard"))
		return cmd_discard(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rehearse"))
		return cmd_rehearse(argc - 1, argv + 1);
	die("unknown command %s", argv[1]);
}
