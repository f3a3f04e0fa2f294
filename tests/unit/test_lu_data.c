// SPDX-License-Identifier: GPL-2.0
/*
 * test_lu_data.c - the live update scenario's own data checks
 * (tools/init/liveupdate.c), run on the host's memfds: a memfd made as
 * generation 1 makes it passes the checks a later generation runs, and
 * every kind of damage (a byte, the size, the position, a hole filled,
 * a seal lost) is caught. A check that cannot fail proves nothing.
 */
#define _GNU_SOURCE
#include <stdarg.h>

#include "kselftest.h"
#include "../../tools/init/liveupdate.c"

struct rig rig = { .gen = 2, .gens = 3 };

void rig_log(const char *fmt, ...)
{
	(void)fmt;
}

/* what the scenario reports as failed, as TAP diagnostics */
void rig_tap(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	rig.failed++;
	fputs("# check failed: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *rig_param(const char *key, char *buf, size_t len)
{
	(void)key;
	(void)buf;
	(void)len;
	return NULL;
}

long rig_param_long(const char *key, long def)
{
	(void)key;
	return def;
}

int rig_read_file(const char *path, void *buf, size_t len)
{
	(void)path;
	(void)buf;
	(void)len;
	return -ENOENT;
}

int rig_write_file(const char *path, const char *val)
{
	(void)path;
	(void)val;
	return -1;
}

int rig_run(char *const argv[], char *out, size_t len)
{
	(void)argv;
	(void)out;
	(void)len;
	return -1;
}

int rig_khoctl_json(const char *cmd)
{
	(void)cmd;
	return 0;
}

long kv_long(const char *text, const char *key, long def)
{
	(void)text;
	(void)key;
	return def;
}

/* make memfd @i as generation 1 does, with its position and data */
static int made(size_t i)
{
	struct lu_memfd *m = &chain_files[i];
	int fd = make_memfd(m);

	if (fd >= 0 && m->rewrite)
		write_pattern(fd, 0, m->size, m->token, 1);
	if (fd >= 0)
		lseek(fd, m->pos + 1, SEEK_SET);
	return fd;
}

static int fails(size_t i, int fd)
{
	int f = check_memfd(&chain_files[i], fd, 1);

	close(fd);
	return f;
}

int main(void)
{
	size_t i;
	int fd;

	ksft_print_header();
	ksft_set_plan(NR_CHAIN_FILES + 6);
	chain_files[2].size = 8UL << 20;
	for (i = 0; i < NR_CHAIN_FILES; i++) {
		fd = made(i);
		ksft_test_result(fd >= 0 && !fails(i, fd),
				 "memfd %s passes the checks\n",
				 chain_files[i].what);
	}
	fd = made(2);
	pwrite(fd, "x", 1, 5UL << 20);
	ksft_test_result(fails(2, fd), "a changed byte is caught\n");
	fd = made(3);
	pwrite(fd, "", 1, 5 * PAGE);
	ksft_test_result(fails(3, fd), "a hole filled with zeros is caught\n");
	fd = made(2);
	lseek(fd, 0, SEEK_SET);
	ksft_test_result(fails(2, fd), "a wrong position is caught\n");
	fd = made(5);
	ftruncate(fd, chain_files[5].size + 1);
	ksft_test_result(fails(5, fd), "a wrong size is caught\n");
	fd = memfd_create("noseal", MFD_ALLOW_SEALING);
	ftruncate(fd, chain_files[4].size);
	write_pattern(fd, 0, chain_files[4].size, chain_files[4].token, 0);
	lseek(fd, chain_files[4].pos + 1, SEEK_SET);
	ksft_test_result(fails(4, fd), "lost seals are caught\n");
	fd = made(1);
	write_pattern(fd, 0, PAGE, chain_files[1].token, 0);
	ksft_test_result(fails(1, fd),
			 "data written before preserving, not after, is caught\n");
	ksft_finished();
}
