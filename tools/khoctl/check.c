// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - "khoctl check [--json]": would a kexec now lose something?
 * For a rollout script that gates each host's reboot: exit 0 when
 * nothing would be lost, 3 when something would (each problem on a line,
 * or in the JSON's "problems", schema khoctl-check-v1), 1 when the
 * host's state cannot be read. Problems (errors unless marked):
 *
 *   kho-off              KHO is off: nothing is handed over
 *   no-liveupdate        (warning) the kernel has no live update: no
 *                        session can be handed over
 *   file-type            an outgoing file of a kind the next kernel may
 *                        not take back (a handler this khoctl does not
 *                        know)
 *   incoming-unfinished  an incoming session with files never retrieved:
 *                        the next kexec drops them (a warning when every
 *                        file was retrieved but the session not finished)
 *   holder-unprotected   PID 1 is systemd and a process holding a session
 *                        does not start its argv[0] with '@', so
 *                        systemd-shutdown kills it before the kexec and
 *                        the session is dropped; or it does, but its unit
 *                        or its slice conflicts with shutdown.target
 *                        (default dependencies), so systemctl kexec
 *                        stops it first (asked of "systemctl show")
 *   holders-unknown      (warning) sessions exist but no process holding
 *                        one was found in /proc
 *   no-kernel-loaded     (warning) no kernel is loaded for kexec yet
 *
 * A process holds a session when one of its descriptors is the anon
 * inode "[liveupdate_session]". The listing does not say which session
 * a descriptor is, so when there are outgoing sessions every holder is
 * checked, also one holding only an incoming session: a false alarm is
 * possible, a missed loss is not.
 * KHO_PROC=DIR replaces /proc and KHO_SYSTEMCTL=PATH systemctl, for tests.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "khoctl.h"

#define CHECK_MAX_PROBLEMS	64
#define SESSION_LINK		"anon_inode:[liveupdate_session]"

struct problem {
	const char *id;
	bool error;
	char msg[320];
};

static struct {
	unsigned int nr, errors, dropped;
	struct problem p[CHECK_MAX_PROBLEMS];
} found;

static const char *const known_handlers[] = { "memfd-v1", "hugetlb-v1" };

static void __attribute__((format(printf, 3, 4)))
problem(const char *id, bool error, const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	found.errors += error;
	if (found.nr == CHECK_MAX_PROBLEMS) {
		found.dropped++;
		return;
	}
	p = &found.p[found.nr++];
	p->id = id;
	p->error = error;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

static const char *proc_dir(void)
{
	const char *d = getenv("KHO_PROC");

	return d && *d ? d : "/proc";
}

/* The first line (or NUL-separated word) of a small file, or "" */
static void read_word(const char *path, char *buf, size_t len)
{
	uint8_t *text;
	size_t n;

	buf[0] = 0;
	if (read_all(path, 1 << 16, &text, &n))
		return;
	snprintf(buf, len, "%.*s", (int)strcspn((char *)text, "\n"),
		 (char *)text);
	free(text);
}

static bool holds_session(const char *pid)
{
	char dir[PATH_MAX], target[64];
	struct dirent *e;
	bool held = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s/fd", proc_dir(), pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!held && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, target,
			       sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		held = !strcmp(target, SESSION_LINK);
	}
	closedir(d);
	return held;
}

/*
 * The cgroup v2 path of process @pid ("/system.slice/NAME.service") into
 * @cg, and its systemd unit (the last component, a .service or .scope)
 * into @unit: "" when it has none.
 */
static void unit_of(const char *pid, char *cg, size_t cglen, char *unit,
		    size_t len)
{
	char path[PATH_MAX], line[512];
	const char *u;

	unit[0] = 0;
	cg[0] = 0;
	snprintf(path, sizeof(path), "%s/%s/cgroup", proc_dir(), pid);
	read_word(path, line, sizeof(line));
	if (strncmp(line, "0::/", 4))
		return;
	snprintf(cg, cglen, "%s", line + 3);
	u = strrchr(line, '/') + 1;
	if (strlen(u) > 8 && (!strcmp(u + strlen(u) - 8, ".service") ||
			      (strlen(u) > 6 && !strcmp(u + strlen(u) - 6, ".scope"))))
		snprintf(unit, len, "%s", u);
}

/*
 * Does systemd stop @unit on the way to the kexec? "systemctl show -p
 * Conflicts --value UNIT" names shutdown.target for a unit with default
 * dependencies. 1 yes, 0 no, -1 cannot tell (no systemctl).
 */
static int stopped_at_shutdown(const char *unit)
{
	const char *sc = getenv("KHO_SYSTEMCTL");
	char cmd[PATH_MAX + 128], out[4096];
	size_t n;
	FILE *p;

	if (!sc || !*sc)
		sc = "systemctl";
	/* quoted in '': only a quote could break out ("\\x2d" is common) */
	if (strchr(unit, '\''))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s show -p Conflicts --value '%s' 2>/dev/null",
		 sc, unit);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	if (pclose(p) || !n)
		return -1;
	return strstr(out, "shutdown.target") != NULL;
}

/*
 * The first slice on cgroup path @cg that systemd stops on the way to
 * the kexec, into @slice ("" when none): stopping a slice stops every
 * unit in it, also one with no default dependencies. A template's own
 * slice (system-NAME.slice) has default dependencies unless a unit file
 * says otherwise; system.slice has none.
 */
static void slice_stopped(const char *cg, char *slice, size_t len)
{
	char comp[256];
	const char *p = cg, *e;
	size_t n;

	slice[0] = 0;
	while (*p == '/')
		p++;
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		n = e - p;
		if (n < 7 || n >= sizeof(comp) || strncmp(e - 6, ".slice", 6))
			continue;
		memcpy(comp, p, n);
		comp[n] = 0;
		if (stopped_at_shutdown(comp) == 1) {
			snprintf(slice, len, "%s", comp);
			return;
		}
	}
}

/* Every process holding a session: checked against systemd-shutdown */
static unsigned int check_holders(void)
{
	char path[PATH_MAX], comm[64], argv0[256], unit[256], cg[512];
	char slice[256];
	unsigned int holders = 0;
	bool systemd;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/1/comm", proc_dir());
	read_word(path, comm, sizeof(comm));
	systemd = !strcmp(comm, "systemd");
	d = opendir(proc_dir());
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!e->d_name[0] || strspn(e->d_name, "0123456789") !=
		    strlen(e->d_name) || !holds_session(e->d_name))
			continue;
		holders++;
		snprintf(path, sizeof(path), "%s/%s/comm", proc_dir(),
			 e->d_name);
		read_word(path, comm, sizeof(comm));
		snprintf(path, sizeof(path), "%s/%s/cmdline", proc_dir(),
			 e->d_name);
		read_word(path, argv0, sizeof(argv0));
		/* PID 1 itself (systemd's own FD store) is never killed */
		if (!systemd || !strcmp(e->d_name, "1"))
			continue;
		if (argv0[0] == '@') {
			unit_of(e->d_name, cg, sizeof(cg), unit, sizeof(unit));
			if (!unit[0])
				continue;
			if (stopped_at_shutdown(unit) == 1) {
				problem("holder-unprotected", true,
					"pid %s (%s) holds a live update session in %s, which systemctl kexec stops before the kexec (it conflicts with shutdown.target): give the unit DefaultDependencies=no",
					e->d_name, comm, unit);
				continue;
			}
			slice_stopped(cg, slice, sizeof(slice));
			if (slice[0])
				problem("holder-unprotected", true,
					"pid %s (%s) holds a live update session in %s, whose slice %s systemctl kexec stops before the kexec (it conflicts with shutdown.target): give the unit Slice=system.slice",
					e->d_name, comm, unit, slice);
			continue;
		}
		problem("holder-unprotected", true,
			"pid %s (%s) holds a live update session, but systemd-shutdown kills it before the kexec and the session is dropped: start it with an argv[0] beginning with '@', in a unit that is not stopped at shutdown",
			e->d_name, comm);
	}
	closedir(d);
	return holders;
}

static bool known_handler(const char *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(known_handlers); i++)
		if (!strcmp(h, known_handlers[i]))
			return true;
	return false;
}

static void check_sessions(const struct lu_sessions *ls, unsigned int *nr,
			   unsigned int *files, unsigned long long *bytes)
{
	unsigned int i, j, waiting;

	for (i = 0; i < ls->nr; i++) {
		const struct lu_session_info *s = &ls->s[i];

		if (s->incoming) {
			if (!strcmp(s->state, "finished"))
				continue;
			for (j = 0, waiting = 0; j < s->nr; j++)
				waiting += s->f[j].retrieved != 1;
			if (waiting)
				problem("incoming-unfinished", true,
					"incoming session %s (%s): %u of %u files never retrieved; the next kexec drops them (retrieve them, or keep them in a new session, and FINISH)",
					s->name, s->state[0] ? s->state : "?",
					waiting, s->nr);
			else
				problem("incoming-unfinished", false,
					"incoming session %s (%s): every file retrieved but the session not finished",
					s->name, s->state[0] ? s->state : "?");
			continue;
		}
		(*nr)++;
		for (j = 0; j < s->nr; j++) {
			const struct lu_file_info *f = &s->f[j];

			(*files)++;
			if (f->size > 0)
				*bytes += f->size;
			if (!f->parsed)
				problem("file-type", true,
					"session %s: a file khoctl cannot read the kind of: %s",
					s->name, f->raw);
			else if (!known_handler(f->handler))
				problem("file-type", true,
					"session %s, token %llu: handler %s, not one the next kernel is known to take back (memfd-v1, hugetlb-v1)",
					s->name, (unsigned long long)f->token,
					f->handler);
		}
	}
}

/* Is KHO on? From debugfs when it is there, else from live update */
static bool kho_on(void)
{
	struct kho_status st;
	uint8_t *text;
	size_t len;
	int err;

	err = read_all(kho_path("status"), STATUS_MAX, &text, &len);
	if (!err) {
		err = parse_status((char *)text, &st);
		free(text);
		if (!err)
			return st.enabled;
	}
	/* lockdown, or no debugfs: the sessions file exists iff kho=on */
	return !access(sessions_path(), F_OK);
}

static void report(bool json, bool on, unsigned int nr, unsigned int files,
		   unsigned long long bytes)
{
	unsigned int i;

	if (json) {
		json_schema("khoctl-check-v1");
		json_key("ok");
		json_bool(!found.errors);
		json_key("kho");
		json_bool(on);
		json_key("outgoing_sessions");
		json_u64(nr);
		json_key("outgoing_files");
		json_u64(files);
		json_key("outgoing_bytes");
		json_u64(bytes);
		json_key("problems");
		json_open('[');
		for (i = 0; i < found.nr; i++) {
			json_open('{');
			json_key("id");
			json_str(found.p[i].id);
			json_key("severity");
			json_str(found.p[i].error ? "error" : "warning");
			json_key("message");
			json_str(found.p[i].msg);
			json_close('}');
		}
		json_close(']');
		json_key("problems_not_listed");
		json_u64(found.dropped);
		json_close('}');
		return;
	}
	for (i = 0; i < found.nr; i++)
		printf("%s: %s: %s\n", found.p[i].error ? "error" : "warning",
		       found.p[i].id, found.p[i].msg);
	if (found.dropped)
		printf("... and %u more\n", found.dropped);
	if (found.errors)
		printf("check: %u error%s: a kexec now would lose something\n",
		       found.errors, found.errors == 1 ? "" : "s");
	else
		printf("check: ok: a kexec now loses nothing (%u outgoing session%s, %u file%s, %.1f MiB)\n",
		       nr, nr == 1 ? "" : "s", files, files == 1 ? "" : "s",
		       (double)bytes / (1 << 20));
}

/**
 * cmd_check() - khoctl check [--json]
 * @argc: argument count
 * @argv: arguments
 *
 * Return: 0 when a kexec now would lose nothing, 3 when it would; exits
 * 1 with a message when the state cannot be read.
 */
int cmd_check(int argc, char **argv)
{
	unsigned int nr = 0, files = 0, holders;
	unsigned long long bytes = 0;
	struct lu_sessions ls;
	char path[PATH_MAX], loaded[16];
	bool json = false, on;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			usage_error("check: unexpected argument '%s'", argv[i]);
	}
	if (geteuid() && !getenv("KHO_SYSFS") && !getenv("KHO_DEBUGFS"))
		die("must be root (the live update listing is root only)");
	on = kho_on();
	if (!on)
		problem("kho-off", true,
			"KHO is off (boot with kho=on): a kexec now hands nothing over");
	err = read_sessions(&ls, NULL, NULL);
	if (err == -ENOENT) {
		memset(&ls, 0, sizeof(ls));
		if (on)
			problem("no-liveupdate", false,
				"%s missing: this kernel has no live update, so no session can be handed over",
				sessions_path());
	} else if (err) {
		die("%s: %s", sessions_path(), strerror(-err));
	}
	check_sessions(&ls, &nr, &files, &bytes);
	if (nr) {
		holders = check_holders();
		if (!holders)
			problem("holders-unknown", false,
				"%u outgoing session%s but no process holding one found in %s (another pid namespace?)",
				nr, nr == 1 ? "" : "s", proc_dir());
	}
	snprintf(path, sizeof(path), "%s/kernel/kexec_loaded", sysfs_dir());
	read_word(path, loaded, sizeof(loaded));
	if (!strcmp(loaded, "0"))
		problem("no-kernel-loaded", false,
			"no kernel loaded for kexec yet");
	report(json, on, nr, files, bytes);
	free_sessions(&ls);
	return found.errors ? 3 : 0;
}
