// SPDX-License-Identifier: GPL-2.0
/*
 * khoctl.c - command line tool for Kexec HandOver (KHO).
 *
 * Shows what the running kernel will hand over at its next kexec and what
 * it received from the previous one, dumps any state tree as DTS, adds
 * and removes user blobs, and loads the next kernel with kexec_file_load()
 * or with kexec_load(), every segment inside KHO scratch. Everything goes
 * through the kernel's debugfs files in /sys/kernel/debug/kho/ (see the
 * kernel's Documentation/kho/). Static, with no shell needed: the VM's
 * init runs it directly.
 *
 * Exit status: 0 success, 1 error (one "khoctl: " line on stderr),
 * 2 usage error. For tests, KHO_DEBUGFS=DIR replaces /sys/kernel/debug/kho
 * (and lifts the root check), and KHO_SYSFS=DIR replaces /sys where
 * "load --user" reads the firmware memory map.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/reboot.h>

#include <libfdt.h>

#include "khoctl.h"


struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *summary;	/* NULL: hidden */
	const char *help;
};

static const struct command *current;

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("khoctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("khoctl: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage_of(FILE *f, const struct command *c);

/* A usage error: what is wrong, the command's usage, exit 2 */
void usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("khoctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (current)
		usage_of(stderr, current);
	else
		fputs("Try 'khoctl --help'.\n", stderr);
	exit(2);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		die("out of memory (%zu bytes)", size);
	return p;
}

/**
 * sysfs_dir() - where sysfs is: KHO_SYSFS=DIR if set and not empty
 *
 * Return: the directory, /sys by default.
 */
const char *sysfs_dir(void)
{
	const char *d = getenv("KHO_SYSFS");

	return d && *d ? d : KHO_SYSFS_DEFAULT;
}

/* KHO_DEBUGFS=DIR, if set and not empty */
static const char *debugfs_override(void)
{
	const char *d = getenv("KHO_DEBUGFS");

	return d && *d ? d : NULL;
}

static const char *debugfs_dir(void)
{
	return debugfs_override() ? : KHO_DEBUGFS_DEFAULT;
}

/* A path under the KHO debugfs directory; a few may be in use at once */
const char *kho_path(const char *fmt, ...)
{
	static char bufs[4][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 4];
	int n;
	va_list ap;

	n = snprintf(b, PATH_MAX, "%s/", debugfs_dir());
	va_start(ap, fmt);
	if (n > 0 && n < PATH_MAX)
		vsnprintf(b + n, PATH_MAX - n, fmt, ap);
	va_end(ap);
	return b;
}

/**
 * read_all() - read a whole file, whatever its st_size says
 * @path: the file ("-" is stdin)
 * @max: refuse files larger than this (-EFBIG)
 * @buf: set to a malloc()ed buffer, NUL-terminated after @len bytes
 * @len: set to the number of bytes read
 *
 * Return: 0 or -errno.
 */
int read_all(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = NULL, *nb;
	int fd, err = 0;
	ssize_t r;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return -errno;
	b = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				err = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (!r)
			break;
		n += r;
	}
	if (fd)
		close(fd);
	if (!err && n > max)
		err = -EFBIG;
	if (err) {
		free(b);
		return err;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

uint8_t *read_file_or_die(const char *path, size_t max, size_t *len)
{
	uint8_t *buf;
	int err;

	err = read_all(path, max, &buf, len);
	if (err == -EFBIG)
		die("%s: too large (at most %zu bytes)", path, max);
	if (err)
		die("%s: %s", path, strerror(-err));
	return buf;
}

/**
 * valid_name() - is @name a KHO client name?
 * @name: the name
 *
 * 1 to 63 characters of [A-Za-z0-9,._+-], and not "." or "..", which
 * could not be file names in debugfs.
 */
bool valid_name(const char *name)
{
	size_t n = strlen(name), i;

	if (!n || n > KHO_NAME_MAX || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(",._+-", c)))
			return false;
	}
	return true;
}

/* Split "key: value" at the colon: 0, or -1 if there is no key */
static int split_line(const char *line, char *key, size_t len,
		      const char **value)
{
	size_t n = strcspn(line, ":\n");

	if (line[n] != ':' || !n || n >= len)
		return -1;
	memcpy(key, line, n);
	key[n] = 0;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	*value = line;
	return 0;
}

/* Copy a value up to its end of line, truncated to fit */
static void copy_value(char *dst, size_t len, const char *v)
{
	size_t n = strcspn(v, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

/**
 * parse_status() - parse the text of debugfs kho/status
 * @text: NUL-terminated contents
 * @st: filled in
 *
 * Return: 0, or -1 if it has no "enabled:" line (not a KHO status file).
 */
int parse_status(const char *text, struct kho_status *st)
{
	unsigned int nr = 0, i, seen = 0;
	bool enabled = false;
	const char *l, *v;
	char key[40], *end;
	uint64_t a, s;

	memset(st, 0, sizeof(*st));
	snprintf(st->incoming, sizeof(st->incoming), "?");
	st->in_preserved = -1;
	st->in_tracker = -1;
	st->in_unclaimed = -1;
	st->alloc_outside = -1;
	st->segments_refused = -1;
	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (split_line(l, key, sizeof(key), &v))
			continue;
		if (!strcmp(key, "enabled")) {
			st->enabled = !strncmp(v, "yes", 3);
			enabled = true;
		} else if (!strcmp(key, "root")) {
			st->root = strtoull(v, NULL, 0);
		} else if (!strcmp(key, "scratch_areas")) {
			nr = strtoul(v, NULL, 0);
		} else if (!strncmp(key, "scratch", 7) && key[7] >= '0' &&
			   key[7] <= '9') {
			i = strtoul(key + 7, &end, 10);
			if (*end || i >= KHO_MAX_SCRATCH)
				continue;
			a = strtoull(v, &end, 0);
			s = strtoull(end, NULL, 0);
			st->scratch[i].addr = a;
			st->scratch[i].size = s;
			seen |= 1U << i;
		} else if (!strcmp(key, "incoming")) {
			copy_value(st->incoming, sizeof(st->incoming), v);
		} else if (!strcmp(key, "incoming_reason")) {
			copy_value(st->reason, sizeof(st->reason), v);
		} else if (!strcmp(key, "incoming_root")) {
			st->in_root = strtoull(v, NULL, 0);
		} else if (!strcmp(key, "incoming_preserved_pages")) {
			st->in_preserved = strtol(v, NULL, 0);
		} else if (!strcmp(key, "incoming_tracker_pages")) {
			st->in_tracker = strtol(v, NULL, 0);
		} else if (!strcmp(key, "incoming_unclaimed_pages")) {
			st->in_unclaimed = strtol(v, NULL, 0);
		} else if (!strcmp(key, "debug_alloc_outside_scratch")) {
			st->alloc_outside = strtol(v, NULL, 0);
		} else if (!strcmp(key, "segments_refused")) {
			st->segments_refused = strtol(v, NULL, 0);
		}
	}
	/* keep the areas that were announced and listed, in order */
	for (i = 0; i < nr && i < KHO_MAX_SCRATCH; i++) {
		if (!(seen & (1U << i)))
			continue;
		st->scratch[st->nr_scratch++] = st->scratch[i];
	}
	return enabled ? 0 : -1;
}

/* Root, and the KHO debugfs directory present: else one line and exit 1 */
static void need_kho(void)
{
	struct stat s;

	if (!debugfs_override() && geteuid())
		die("must be root (KHO's debugfs files are root only)");
	if (stat(debugfs_dir(), &s) || !S_ISDIR(s.st_mode))
		die("debugfs not mounted or kernel without KHO (%s missing)",
		    debugfs_dir());
}

void get_status(struct kho_status *st)
{
	const char *path;
	uint8_t *text;
	size_t len;

	need_kho();
	path = kho_path("status");
	text = read_file_or_die(path, STATUS_MAX, &len);
	if (parse_status((char *)text, st))
		die("%s: not a KHO status file (no \"enabled:\" line)", path);
	free(text);
}

static void need_enabled(const struct kho_status *st)
{
	if (!st->enabled)
		die("KHO is off (boot with kho=on)");
}

/* ---- dump ---- */

static int cmd_dump(int argc, char **argv)
{
	const char *name = NULL, *dir = "out", *path, *label;
	bool raw = false;
	struct kho_status st;
	size_t len, out;
	uint8_t *buf;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--in"))
			dir = "in";
		else if (!strcmp(argv[i], "--out"))
			dir = "out";
		else if (!strcmp(argv[i], "--raw"))
			raw = true;
		else if (argv[i][0] == '-' && argv[i][1])
			usage_error("dump: unknown option '%s'", argv[i]);
		else if (name)
			usage_error("dump: more than one NAME");
		else
			name = argv[i];
	}
	if (name && !valid_name(name))
		usage_error("dump: bad name '%s' (1-63 characters of A-Za-z0-9,._+-)",
			    name);
	need_kho();
	path = name ? kho_path("%s/sub/%s", dir, name) :
		      kho_path("%s/fdt", dir);
	label = path + strlen(debugfs_dir()) + 1;

	err = read_all(path, BLOB_MAX, &buf, &len);
	if (err == -ENOENT) {
		get_status(&st);
		if (name)
			die("no %s sub-tree named '%s' (%s missing)",
			    *dir == 'i' ? "incoming" : "outgoing", name, path);
		if (*dir == 'i')
			die("no incoming state tree (incoming handover: %s%s%s)",
			    st.incoming, st.reason[0] ? ": " : "", st.reason);
		need_enabled(&st);
		die("%s missing", path);
	}
	if (err == -EFBIG)
		die("%s: too large (at most %d bytes)", path, BLOB_MAX);
	if (err)
		die("%s: %s", path, strerror(-err));

	if (raw) {
		out = len;
		/* the root file is a whole page: write the tree only */
		if (!name && dts_is_fdt(buf, len, NULL))
			out = fdt_totalsize(buf);
		if (fwrite(buf, 1, out, stdout) != out || fflush(stdout))
			die("writing to stdout: %s", strerror(errno));
	} else {
		dts_print(stdout, buf, len, label);
	}
	free(buf);
	return 0;
}

/* khoctl dts-file FILE: the DTS printer on any file, for tests */
static int cmd_dts_file(int argc, char **argv)
{
	uint8_t *buf;
	size_t len;

	if (argc != 2)
		usage_error("dts-file: need exactly one FILE");
	buf = read_file_or_die(argv[1], BLOB_MAX, &len);
	dts_print(stdout, buf, len, argv[1]);
	free(buf);
	return 0;
}

/* ---- add, remove ---- */

/* One write() of @len bytes to debugfs file @rel: 0 or errno */
static int write_once(const char *rel, const void *buf, size_t len)
{
	const char *path = kho_path("%s", rel);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			die("%s missing (kernel without KHO user blobs?)", path);
		die("%s: %s", path, strerror(errno));
	}
	n = write(fd, buf, len);
	err = n < 0 ? errno : 0;
	if (close(fd) && !err)
		err = errno;
	if (!err && (size_t)n != len)
		die("%s: short write (%zd of %zu bytes)", path, n, len);
	return err;
}

static int cmd_add(int argc, char **argv)
{
	const char *name, *file, *why;
	struct kho_status st;
	size_t len, nlen;
	uint8_t *blob;
	char *buf;
	int err;

	if (argc != 3)
		usage_error("add: need NAME and FILE");
	name = argv[1];
	file = argv[2];
	if (!valid_name(name))
		usage_error("add: bad name '%s' (1-63 characters of A-Za-z0-9,._+-)",
			    name);
	get_status(&st);
	need_enabled(&st);
	err = read_all(file, KHO_USER_BLOB_MAX, &blob, &len);
	if (err == -EFBIG)
		die("%s: too large (a user blob is at most %d bytes)", file,
		    KHO_USER_BLOB_MAX);
	if (err)
		die("%s: %s", file, strerror(-err));
	if (!len)
		die("%s: empty file (a user blob is 1 to %d bytes)", file,
		    KHO_USER_BLOB_MAX);

	nlen = strlen(name);
	buf = xmalloc(nlen + 1 + len);
	memcpy(buf, name, nlen);
	buf[nlen] = '\n';
	memcpy(buf + nlen + 1, blob, len);
	err = write_once("out/add", buf, nlen + 1 + len);
	free(buf);
	switch (err) {
	case 0:
		break;
	case EINVAL:
		if (len >= 4 && blob[0] == 0xd0 && blob[1] == 0x0d &&
		    blob[2] == 0xfe && blob[3] == 0xed &&
		    !dts_is_fdt(blob, len, &why))
			die("add %s: %s (the blob starts with the FDT magic but is not a valid FDT: %s)",
			    name, strerror(err), why);
		die("add %s: %s (bad name, or a blob with the FDT magic that is not a valid FDT)",
		    name, strerror(err));
	case EFBIG:
		die("add %s: %s (a user blob is at most %d bytes)", name,
		    strerror(err), KHO_USER_BLOB_MAX);
	case EEXIST:
		die("add %s: %s (a sub-tree of that name exists; remove it first)",
		    name, strerror(err));
	case ENOSPC:
		die("add %s: %s (the state tree is full)", name, strerror(err));
	default:
		die("add %s: %s", name, strerror(err));
	}
	free(blob);
	printf("added sub-tree %s: %zu bytes from %s\n", name, len, file);
	return 0;
}

static int cmd_remove(int argc, char **argv)
{
	struct kho_status st;
	int err;

	if (argc != 2)
		usage_error("remove: need NAME");
	if (!valid_name(argv[1]))
		usage_error("remove: bad name '%s' (1-63 characters of A-Za-z0-9,._+-)",
			    argv[1]);
	get_status(&st);
	need_enabled(&st);
	err = write_once("out/remove", argv[1], strlen(argv[1]));
	if (err == ENOENT)
		die("remove %s: %s (no user blob of that name; only blobs added with 'khoctl add' can be removed)",
		    argv[1], strerror(err));
	if (err)
		die("remove %s: %s", argv[1], strerror(err));
	printf("removed sub-tree %s\n", argv[1]);
	return 0;
}

/* ---- exec ---- */

static int cmd_exec(int argc, char **argv)
{
	uint8_t *loaded;
	size_t len;

	if (argc > 1)
		usage_error("exec: unexpected argument '%s'", argv[1]);
	if (geteuid())
		die("must be root");
	if (!read_all("/sys/kernel/kexec_loaded", 16, &loaded, &len)) {
		if (loaded[0] == '0')
			die("no kernel loaded (run 'khoctl load' first)");
		free(loaded);
	}
	fflush(NULL);
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	die("kexec reboot: %s", strerror(errno));
}

/* ---- help ---- */

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "status", cmd_status, "[--json]",
	  "KHO state: scratch, memory, sub-trees, handover",
	  "KHO on/off, outgoing state tree, scratch areas, preserved memory by\n"
	  "order, sub-trees, and the incoming handover (accepted, refused and\n"
	  "why, or none) with its preserved and unclaimed pages.\n"
	  "  --json   one JSON object (schema khoctl-status-v1)\n" },
	{ "dump", cmd_dump, "[--in] [NAME] [--raw]",
	  "print a state tree or a sub-tree as DTS",
	  "Print the outgoing state tree, or with --in the incoming one, as DTS\n"
	  "(dtc -I dts parses it back). With NAME, print that client's blob:\n"
	  "as DTS if it is an FDT, else as a hex dump.\n"
	  "  --in     the tree received from the previous kernel (in/)\n"
	  "  --raw    write the blob's bytes to stdout instead\n" },
	{ "add", cmd_add, "NAME FILE",
	  "add FILE (1-4096 bytes) as sub-tree NAME",
	  "Add the contents of FILE (1 to 4096 bytes) as client NAME of the\n"
	  "outgoing state tree, in preserved memory. NAME is 1-63 characters\n"
	  "of A-Za-z0-9,._+-. A blob that starts with the FDT magic must be a\n"
	  "valid FDT.\n" },
	{ "remove", cmd_remove, "NAME",
	  "remove sub-tree NAME (added with add)",
	  "Remove client NAME, a blob added with 'khoctl add'.\n" },
	{ "load", cmd_load,
	  "[--user] KERNEL [--initrd FILE] [--append STRING] [--reuse-cmdline] [--dry-run] [--save DIR]",
	  "load the next kernel of a KHO kexec",
	  "Load KERNEL as the next kernel of a KHO kexec; then run 'khoctl exec'.\n"
	  "Without --user: kexec_file_load(2); the kernel places the segments in\n"
	  "scratch and passes the state tree by itself.\n"
	  "With --user: kexec_load(2) (x86_64 bzImage): khoctl builds the boot\n"
	  "parameters, appends kho_root= to the command line, places every\n"
	  "segment inside the largest scratch area that holds them, and prints\n"
	  "the placement.\n"
	  "  --initrd FILE     initramfs for the next kernel\n"
	  "  --append STRING   command line (added after --reuse-cmdline's)\n"
	  "  --reuse-cmdline   start from /proc/cmdline (kho_root= dropped)\n"
	  "  --dry-run         check and print everything, load nothing\n"
	  "  --save DIR        (--user) also write the segments to DIR\n" },
	{ "sessions", cmd_sessions, "[--raw|--json]",
	  "live update sessions: outgoing, incoming, files",
	  "List the live update sessions: the outgoing ones (handed over at\n"
	  "the next kexec if a process still holds them) with their files and\n"
	  "sizes, and the incoming ones (from the previous kernel) with what\n"
	  "was retrieved. Reads /sys/kernel/liveupdate/sessions: no debugfs.\n"
	  "  --raw    print the kernel's listing as it is\n"
	  "  --json   one JSON object (schema khoctl-sessions-v1)\n" },
	{ "keep", cmd_keep, "NAME FILE... [--foreground]",
	  "keep FILEs across the next kexec in session NAME",
	  "Copy each FILE into a memfd, preserve them in a new live update\n"
	  "session NAME, and stay in the background holding the session; the\n"
	  "pid is printed. Then run 'kexec -e' (or 'khoctl exec'); killing the\n"
	  "process drops the session. In the next kernel, 'khoctl take NAME'\n"
	  "writes the files back. File names and modes are kept (token 0).\n"
	  "  --foreground   hold the session in this process instead\n" },
	{ "take", cmd_take, "NAME [DIR] [--cold-ok]",
	  "write the files kept in session NAME into DIR",
	  "After a kexec: retrieve session NAME (made by 'khoctl keep'), write\n"
	  "its files into DIR (default: the current directory, created if\n"
	  "missing) with their names and modes, then FINISH the session. On an\n"
	  "error the session is not finished, so take can run again.\n"
	  "  --cold-ok   after a cold boot (no kexec led here: the kexec\n"
	  "              timeline says generation 1), do nothing, exit 0\n" },
	{ "timeline", cmd_timeline, "[--points|--json]",
	  "where the time of each kexec reboot went",
	  "For each kexec reboot that led to this kernel (up to 30), the\n"
	  "phases in milliseconds: shutdown (reboot request to devices down),\n"
	  "handoff, reloc (relocate_kernel's copy), purgatory (its check of the\n"
	  "segments), boot (to start_kernel), mm, init (to user space), total;\n"
	  "and the bytes relocated, planned and checked. Measured on one clock\n"
	  "across the reboot (the TSC on x86). Reads /sys/kernel/kexec_timeline.\n"
	  "  --points   also each point, in ms after the reboot request\n"
	  "  --json     one JSON object (schema khoctl-timeline-v1), points too\n" },
	{ "check", cmd_check, "[--json]",
	  "would a kexec now lose something? (exit 3 if so)",
	  "Check whether a kexec now would lose something a live update should\n"
	  "keep, for a rollout script to gate the reboot on: KHO off, a file the\n"
	  "next kernel may not take back, an incoming session with files never\n"
	  "retrieved, a process holding a session that systemd-shutdown would\n"
	  "kill (PID 1 systemd, argv[0] not starting with '@'). One line per\n"
	  "problem (error or warning). Exit 0 if nothing would be lost, 3 if\n"
	  "something would, 1 if the state cannot be read.\n"
	  "  --json   one JSON object (schema khoctl-check-v1)\n" },
	{ "exec", cmd_exec, "",
	  "reboot into the loaded kernel (like kexec -e)",
	  "Reboot into the loaded kernel now (like kexec -e).\n" },
	{ "help", cmd_help, "[COMMAND]", "this text, or a command's",
	  "Print help.\n" },
	/* hidden, for tests: the DTS printer on any file */
	{ "dts-file", cmd_dts_file, "FILE", NULL,
	  "Print FILE as DTS, or as a hex dump if it is not an FDT.\n" },
};

#define NR_COMMANDS	ARRAY_SIZE(commands)

static void usage_of(FILE *f, const struct command *c)
{
	fprintf(f, "usage: khoctl %s%s%s\n", c->name, *c->args ? " " : "",
		c->args);
}

static void print_usage(FILE *f)
{
	unsigned int i;

	fputs("usage: khoctl COMMAND [ARGS]\n"
	      "Inspect and drive Kexec HandOver (KHO) through\n"
	      KHO_DEBUGFS_DEFAULT "/ (root only).\n\n"
	      "commands:\n", f);
	for (i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];
		char head[64];

		if (!c->summary)
			continue;
		snprintf(head, sizeof(head), "%s %s", c->name,
			 strlen(c->args) < 24 ? c->args : "KERNEL [OPTIONS]");
		fprintf(f, "  %-28s %s\n", head, c->summary);
	}
	fputs("\n'khoctl COMMAND --help' describes a command.\n"
	      "Environment: KHO_DEBUGFS=DIR reads DIR instead of "
	      KHO_DEBUGFS_DEFAULT ".\n"
	      "Exit status: 0 success, 1 error, 2 usage error, 3 check: a kexec\n"
	      "now would lose something.\n", f);
}

static const struct command *find_command(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void help_of(const struct command *c)
{
	usage_of(stdout, c);
	printf("\n%s", c->help);
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		print_usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c)
		usage_error("help: unknown command '%s'", argv[1]);
	help_of(c);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return 0;
	}
	current = find_command(argv[1]);
	if (!current)
		usage_error("unknown command '%s'", argv[1]);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help_of(current);
			return 0;
		}
	}
	return current->fn(argc - 1, argv + 1);
}
