// SPDX-License-Identifier: GPL-2.0
/*
 * liveupdate.c - khoctl's live update commands keep and take, which need neither
 * debugfs nor KHO's debug files (a host in lockdown mode has none):
 *
 *   keep NAME FILE...   copy FILEs into memfds, preserve them in a new
 *                       session NAME and stay in the background holding it,
 *                       so a script can run "kexec -e" next
 *   take NAME [DIR]     in the next kernel: write the files of session
 *                       NAME back (into DIR), then FINISH the session
 *
 * keep stores a manifest under token 0, a small memfd of its own:
 *
 *   khoctl-keep-v1
 *   TOKEN MODE SIZE NAME       (one line per file; MODE in octal)
 *
 * so take restores names and modes. Tokens of files start at 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "khoctl.h"

#define LU_DEV		"/dev/liveupdate"
#define LU_MANIFEST	"khoctl-keep-v1"
#define COPY_CHUNK	(1 << 20)

static double mib(unsigned long long b)
{
	return (double)b / (1 << 20);
}

/* ---- the device ---- */

static int open_dev(void)
{
	int fd = open(LU_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		die("%s: %s (kernel without live update, or booted without kho=on)",
		    LU_DEV, strerror(errno));
	case EACCES:
	case EPERM:
		die("%s: %s (must be root)", LU_DEV, strerror(errno));
	case EBUSY:
		die("%s: %s (another process has it open; one opener at a time)",
		    LU_DEV, strerror(errno));
	}
	die("%s: %s", LU_DEV, strerror(errno));
}

static int session_ioctl(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	memcpy(a.name, name, strlen(name) + 1);
	return ioctl(dev, cmd, &a) ? -errno : a.fd;
}

static void check_session_name(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= LIVEUPDATE_SESSION_NAME_LENGTH)
		usage_error("bad session name '%s' (1 to %d bytes)", name,
			    LIVEUPDATE_SESSION_NAME_LENGTH - 1);
}

/* Copy @len bytes from @in (at offset 0) to @out: 0 or errno */
static int copy_fd(int in, int out, unsigned long long len)
{
	static char *buf;
	unsigned long long off = 0;
	ssize_t r, w, done;

	if (!buf)
		buf = xmalloc(COPY_CHUNK);
	while (off < len) {
		r = pread(in, buf, len - off < COPY_CHUNK ? len - off :
			  COPY_CHUNK, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? errno : EIO;
		for (done = 0; done < r; done += w) {
			w = write(out, buf + done, r - done);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				return w ? errno : EIO;
		}
		off += r;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;	/* "" for "dir/": refused */
}

/* ---- keep ---- */

int cmd_keep(int argc, char **argv)
{
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf) };
	bool foreground = false;
	unsigned long long total = 0;
	const char *name = NULL, **files;
	char *manifest;
	size_t mlen = 0, mcap;
	int i, j, nr = 0, dev, s, fd, mfd, err;
	pid_t pid;

	files = xmalloc(argc * sizeof(*files));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground"))
			foreground = true;
		else if (!name)
			name = argv[i];
		else
			files[nr++] = argv[i];
	}
	if (!name || !nr)
		usage_error("keep: need NAME and at least one FILE");
	check_session_name(name);
	mcap = 64 + (size_t)nr * (PATH_MAX + 64);
	manifest = xmalloc(mcap);
	mlen = snprintf(manifest, mcap, "%s\n", LU_MANIFEST);
	for (i = 0; i < nr; i++) {
		const char *b = base_name(files[i]);

		if (!*b || strchr(b, '\n') || !strcmp(b, ".") ||
		    !strcmp(b, ".."))
			die("%s: not a file name khoctl can keep", files[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(b, base_name(files[j])))
				die("two files named %s: take writes them into one directory",
				    b);
	}

	dev = open_dev();
	s = session_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
	if (s == -EEXIST)
		die("a session named %s exists already", name);
	if (s < 0)
		die("create session %s: %s", name, strerror(-s));
	for (i = 0; i < nr; i++) {
		struct stat st;

		fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st))
			die("%s: %s", files[i], strerror(errno));
		if (!S_ISREG(st.st_mode))
			die("%s: not a regular file", files[i]);
		mfd = memfd_create(base_name(files[i]), MFD_CLOEXEC);
		if (mfd < 0)
			die("memfd_create: %s", strerror(errno));
		if (ftruncate(mfd, st.st_size))
			die("%s: %lld bytes in memory: %s", files[i],
			    (long long)st.st_size, strerror(errno));
		err = copy_fd(fd, mfd, st.st_size);
		if (err)
			die("%s: copying into memory: %s", files[i],
			    strerror(err));
		lseek(mfd, 0, SEEK_SET);
		pf.fd = mfd;
		pf.token = i + 1;
		if (ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &pf))
			die("%s: preserve: %s", files[i], strerror(errno));
		close(mfd);
		close(fd);
		total += st.st_size;
		mlen += snprintf(manifest + mlen, mcap - mlen, "%d %o %lld %s\n",
				 i + 1, (unsigned int)(st.st_mode & 07777),
				 (long long)st.st_size, base_name(files[i]));
	}
	mfd = memfd_create("khoctl-manifest", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, manifest, mlen) != (ssize_t)mlen)
		die("manifest: %s", strerror(errno));
	pf.fd = mfd;
	pf.token = 0;
	if (ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &pf))
		die("manifest: preserve: %s", strerror(errno));
	close(mfd);
	free(manifest);
	free(files);
	/* the session lives as long as its fd: free the device for others */
	close(dev);

	fflush(stdout);
	pid = foreground ? getpid() : fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0 || foreground) {
		printf("session %s: %d file%s, %.1f MiB, held by pid %d: kexec now (kill %d drops it)\n",
		       name, nr, nr == 1 ? "" : "s", mib(total), (int)pid,
		       (int)pid);
		fflush(stdout);
		if (!foreground)
			_exit(0);
	} else {
		int null = open("/dev/null", O_RDWR);

		setsid();
		/* nothing but the session: no pipe of our caller stays open */
		for (fd = 3; fd < 1024; fd++)
			if (fd != s && fd != null)
				close(fd);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		if (chdir("/"))
			_exit(1);
	}
	signal(SIGHUP, SIG_IGN);
	for (;;)
		pause();
}

/* ---- take ---- */

struct kept {
	unsigned long long token;
	unsigned int mode;
	unsigned long long size;
	char *name;
};

static int retrieve_fd(int s, unsigned long long token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a), .fd = -1, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) ? -errno : a.fd;
}

/* Parse the manifest: the number of files, or -1 */
static int parse_manifest(char *text, struct kept *k, int max)
{
	char *l = text, *nl, *end;
	int n = 0;

	nl = strchr(l, '\n');
	if (!nl || strncmp(l, LU_MANIFEST "\n", strlen(LU_MANIFEST) + 1))
		return -1;
	for (l = nl + 1; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl || n == max)
			return -1;
		*nl = 0;
		k[n].token = strtoull(l, &end, 10);
		if (*end != ' ')
			return -1;
		k[n].mode = strtoul(end + 1, &end, 8);
		if (*end != ' ')
			return -1;
		k[n].size = strtoull(end + 1, &end, 10);
		if (*end != ' ' || !end[1])
			return -1;
		k[n].name = end + 1;
		if (strchr(k[n].name, '/') || !strcmp(k[n].name, ".") ||
		    !strcmp(k[n].name, "..") || !k[n].token)
			return -1;
		n++;
	}
	return n;
}

int cmd_take(int argc, char **argv)
{
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	const char *name, *dir = ".";
	unsigned long long total = 0;
	char *text, path[PATH_MAX];
	struct kept *k;
	struct stat st;
	int dev, s, mfd, fd, n, i, err, nargs = 0;
	bool cold_ok = false;
	const char *args[2];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cold-ok"))
			cold_ok = true;
		else if (nargs < 2)
			args[nargs++] = argv[i];
		else
			usage_error("take: need NAME and at most one DIR");
	}
	if (!nargs)
		usage_error("take: need NAME and at most one DIR");
	name = args[0];
	if (nargs == 2)
		dir = args[1];
	if (cold_ok && kexec_generation() == 1) {
		check_session_name(name);
		printf("cold boot (no kexec led to this kernel): nothing to take for session %s\n",
		       name);
		return 0;
	}
	check_session_name(name);
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));

	dev = open_dev();
	s = session_ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
	if (s == -ENOENT)
		die("no incoming session named %s (not handed over: its holder gone before the kexec, or KHO off; or finished already)",
		    name);
	if (s == -EBUSY)
		die("session %s: another process holds it", name);
	if (s < 0)
		die("retrieve session %s: %s", name, strerror(-s));
	close(dev);
	mfd = retrieve_fd(s, 0);
	if (mfd < 0)
		die("session %s has no khoctl manifest (token 0): %s", name,
		    strerror(-mfd));
	if (fstat(mfd, &st) || st.st_size > (1 << 24))
		die("session %s: bad manifest", name);
	text = xmalloc(st.st_size + 1);
	if (pread(mfd, text, st.st_size, 0) != st.st_size)
		die("session %s: reading the manifest: %s", name,
		    strerror(errno));
	text[st.st_size] = 0;
	close(mfd);
	k = xmalloc(sizeof(*k) * (st.st_size / 8 + 1));
	n = parse_manifest(text, k, st.st_size / 8 + 1);
	if (n < 0)
		die("session %s: not a khoctl keep manifest", name);
	for (i = 0; i < n; i++) {
		fd = retrieve_fd(s, k[i].token);
		if (fd < 0)
			die("%s (token %llu): %s; session %s kept, not finished",
			    k[i].name, k[i].token, strerror(-fd), name);
		if (fstat(fd, &st) || (unsigned long long)st.st_size != k[i].size)
			die("%s: %lld bytes, the manifest says %llu; session %s kept, not finished",
			    k[i].name, (long long)st.st_size, k[i].size, name);
		snprintf(path, sizeof(path), "%s/%s", dir, k[i].name);
		/* never through a symlink someone left there; no set-id bits */
		mfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			   O_NOFOLLOW, k[i].mode & 0777);
		if (mfd < 0)
			die("%s: %s; session %s kept, not finished", path,
			    strerror(errno), name);
		err = copy_fd(fd, mfd, k[i].size);
		if (!err && fchmod(mfd, k[i].mode & 0777))
			err = errno;
		if (close(mfd) && !err)
			err = errno;
		if (err)
			die("%s: %s; session %s kept, not finished", path,
			    strerror(err), name);
		close(fd);
		total += k[i].size;
		printf("  %-40s %14llu bytes\n", path, k[i].size);
	}
	if (ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin))
		die("finish session %s: %s", name, strerror(errno));
	close(s);
	printf("took %d file%s (%.1f MiB) from session %s into %s; session finished\n",
	       n, n == 1 ? "" : "s", mib(total), name, dir);
	free(k);
	free(text);
	return 0;
}
