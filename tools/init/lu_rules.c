// SPDX-License-Identifier: GPL-2.0
/*
 * lu_rules.c - what a retrieved memfd may and may not do, and the limits
 * of what one kernel hands over: rig.lu_rules=1, 2 generations.
 *
 * Generation 1: with debugfs liveupdate/max_sessions and max_files
 * lowered to 2, a third CREATE_SESSION and a third PRESERVE_FD in one
 * session fail with ENOSPC (what the next kernel would refuse is
 * refused now), and closing a session makes room again. Then it keeps
 * three memfds: one set-uid and executable (mode 04755), one sealed
 * with F_SEAL_WRITE, one executable (0755).
 *
 * Generation 2: the set-uid memfd comes back 0755 (the file is now the
 * retriever's: no set-id bits); F_SEAL_WRITE refuses a shared writable
 * mapping and a write(), as it does on a memfd sealed in this kernel;
 * with vm.memfd_noexec=1 the executable one comes back 0644-like (no
 * execute bit) and sealed with F_SEAL_EXEC, as memfd_create() would
 * make it in that namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define PG		4096UL
#define MAXS		"/sys/kernel/debug/liveupdate/max_sessions"
#define MAXF		"/sys/kernel/debug/liveupdate/max_files"
#define NOEXEC		"/proc/sys/vm/memfd_noexec"
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC	0x0020
#endif
enum { R_SUID = 91, R_SEALED, R_EXEC };

static int memfd(const char *name, unsigned int flags, mode_t mode)
{
	int fd = memfd_create(name, flags);

	if (fd < 0 || ftruncate(fd, 2 * PG) || lu_fill(fd, 0, 2 * PG, 90) ||
	    fchmod(fd, mode))
		return -1;
	return fd;
}

static void limits(int dev)
{
	int s[3], fd[3], i, r;

	if (rig_write_file(MAXS, "2") || rig_write_file(MAXF, "2")) {
		rig_tap(0, "lu_rules: lower %s and %s: %s", MAXS, MAXF,
			strerror(errno));
		return;
	}
	s[0] = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lim-0");
	s[1] = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lim-1");
	s[2] = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lim-2");
	rig_tap(s[0] >= 0 && s[1] >= 0 && s[2] == -ENOSPC,
		"lu_rules: with max_sessions 2, a third CREATE_SESSION fails with ENOSPC (%s)",
		strerror(s[2] < 0 ? -s[2] : 0));
	if (s[1] >= 0)
		close(s[1]);
	s[1] = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lim-1");
	rig_tap(s[1] >= 0, "lu_rules: closing a session makes room for another");
	for (i = 0; i < 3; i++)
		fd[i] = memfd("lim", MFD_CLOEXEC, 0600);
	r = 0;
	for (i = 0; i < 3 && s[0] >= 0; i++)
		r = fd[i] < 0 ? -EIO : lu_ioc_preserve(s[0], fd[i], i);
	rig_tap(r == -ENOSPC,
		"lu_rules: with max_files 2, a third PRESERVE_FD in a session fails with ENOSPC (%s)",
		strerror(r < 0 ? -r : 0));
	for (i = 0; i < 3; i++) {
		if (s[i] >= 0)
			close(s[i]);
		if (fd[i] >= 0)
			close(fd[i]);
	}
	rig_write_file(MAXS, "1048576");
	rig_write_file(MAXF, "16777216");
}

static void gen1(int dev)
{
	int s, a, b, c, r;

	limits(dev);
	a = memfd("lu-suid", MFD_CLOEXEC, 04755);
	b = memfd("lu-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING, 0644);
	c = memfd("lu-exec", MFD_CLOEXEC, 0755);
	if (a < 0 || b < 0 || c < 0 || fcntl(b, F_ADD_SEALS, F_SEAL_WRITE)) {
		rig_tap(0, "lu_rules: make the memfds: %s", strerror(errno));
		return;
	}
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "rules");
	r = s < 0 ? s : lu_ioc_preserve(s, a, R_SUID);
	r = r ?: lu_ioc_preserve(s, b, R_SEALED);
	r = r ?: lu_ioc_preserve(s, c, R_EXEC);
	rig_tap(!r, "lu_rules: memfds of mode 04755, sealed F_SEAL_WRITE, of mode 0755 preserved: %s",
		r ? strerror(-r) : "ok");
	if (!r)
		lu_hold(s);
}

static mode_t mode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? (mode_t)-1 : st.st_mode & 07777;
}

static void gen2(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "rules");
	int a, b, c, seals;
	void *m;

	rig_tap(s >= 0, "lu_rules: session rules retrieved");
	if (s < 0)
		return;
	a = lu_ioc_retrieve_fd(s, R_SUID);
	rig_tap(a >= 0 && mode_of(a) == 0755,
		"lu_rules: the memfd of mode 04755 comes back 0755, no set-id bit (%o)",
		a >= 0 ? mode_of(a) : 0);
	b = lu_ioc_retrieve_fd(s, R_SEALED);
	m = b < 0 ? MAP_FAILED : mmap(NULL, PG, PROT_READ | PROT_WRITE,
				      MAP_SHARED, b, 0);
	rig_tap(b >= 0 && m == MAP_FAILED && errno == EPERM,
		"lu_rules: F_SEAL_WRITE refuses a shared writable mapping (%s)",
		m == MAP_FAILED ? strerror(errno) : "mapped");
	if (m != MAP_FAILED)
		munmap(m, PG);
	rig_tap(b >= 0 && pwrite(b, "x", 1, 0) < 0 && errno == EPERM,
		"lu_rules: and a write() (%s)", strerror(errno));
	rig_tap(b >= 0 && !lu_check(b, 0, 2 * PG, 90, 0),
		"lu_rules: the sealed memfd's data is there");
	if (rig_write_file(NOEXEC, "1")) {
		rig_tap(0, "lu_rules: vm.memfd_noexec=1: %s", strerror(errno));
		return;
	}
	c = lu_ioc_retrieve_fd(s, R_EXEC);
	rig_write_file(NOEXEC, "0");
	seals = c < 0 ? -1 : fcntl(c, F_GET_SEALS);
	rig_tap(c >= 0 && mode_of(c) == 0644 && seals >= 0 &&
		(seals & F_SEAL_EXEC),
		"lu_rules: under vm.memfd_noexec=1 the memfd of mode 0755 comes back 0644 sealed F_SEAL_EXEC (%o, seals %#x)",
		c >= 0 ? mode_of(c) : 0, seals);
	rig_tap(!lu_ioc_finish(s), "lu_rules: FINISH of session rules");
	close(a);
	close(b);
	close(c);
	close(s);
}

void scenario_lu_rules(void)
{
	int dev = lu_run_gens("lu_rules", gen1, gen2);

	if (dev >= 0)
		close(dev);
}
