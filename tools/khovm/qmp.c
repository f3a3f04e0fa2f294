// SPDX-License-Identifier: GPL-2.0
/*
 * qmp.c - the few QMP exchanges khovm needs, over QEMU's unix socket:
 * a command and its reply (events in between are skipped), a file
 * descriptor passed with getfd, and waiting for a migration to end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "khovm.h"

/* one line from @q into @buf (without the newline): its length, or -1 */
static int read_line(int q, char *buf, size_t len, int ms)
{
	size_t n = 0;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	char c;

	setsockopt(q, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t r = read(q, &c, 1);

		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = 0;
	return n;
}

/* the reply to the last command: 0 for "return", -1 for "error" or EOF */
static int reply(int q, char *out, size_t len)
{
	char line[8192];

	while (read_line(q, line, sizeof(line), 30000) >= 0) {
		if (strstr(line, "\"event\""))
			continue;
		if (out)
			snprintf(out, len, "%s", line);
		if (strstr(line, "\"return\""))
			return 0;
		if (strstr(line, "\"error\"")) {
			fprintf(stderr, "khovm: QMP: %s\n", line);
			return -1;
		}
	}
	return -1;
}

/**
 * qmp_connect() - connect to a QMP socket and leave negotiation mode
 * @path: the socket
 *
 * Return: the socket, or -1.
 */
int qmp_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[4096];
	int q = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (q < 0 || connect(q, (struct sockaddr *)&a, sizeof(a)) ||
	    read_line(q, line, sizeof(line), 10000) < 0 ||
	    !strstr(line, "\"QMP\"") ||
	    qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}", NULL, 0)) {
		if (q >= 0)
			close(q);
		return -1;
	}
	return q;
}

/**
 * qmp_cmd() - run one QMP command
 * @q: the socket
 * @json: the command
 * @out: the reply line, or NULL
 * @len: room at @out
 *
 * Return: 0 on "return", -1 on "error" or a broken socket.
 */
int qmp_cmd(int q, const char *json, char *out, size_t len)
{
	size_t n = strlen(json);

	if (write(q, json, n) != (ssize_t)n || write(q, "\n", 1) != 1)
		return -1;
	return reply(q, out, len);
}

/**
 * qmp_send_fd() - give QEMU a file descriptor under a name (getfd)
 * @q: the socket
 * @name: the name QEMU files it under ("fd:NAME" in migration URIs)
 * @fd: the descriptor
 *
 * Return: 0 or -1.
 */
int qmp_send_fd(int q, const char *name, int fd)
{
	char cmd[256], ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int n;

	n = snprintf(cmd, sizeof(cmd),
		     "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"}}\n",
		     name);
	iov.iov_base = cmd;
	iov.iov_len = n;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(q, &m, 0) != n)
		return -1;
	return reply(q, NULL, 0);
}

/**
 * qmp_wait_migration() - wait until a migration (out or in) has ended
 * @q: the socket
 * @status: set to the last status QEMU gave
 * @len: room at @status
 * @secs: how long to wait at most
 *
 * Return: 0 when it completed, -1 when it failed or took too long.
 */
int qmp_wait_migration(int q, char *status, size_t len, int secs)
{
	char line[8192], *p;
	double end = now_ms() + secs * 1e3;
	useconds_t wait = 2000;

	status[0] = 0;
	while (now_ms() < end) {
		if (qmp_cmd(q, "{\"execute\":\"query-migrate\"}", line,
			    sizeof(line)))
			return -1;
		p = strstr(line, "\"status\": \"");
		if (p) {
			p += strlen("\"status\": \"");
			snprintf(status, len, "%.*s", (int)strcspn(p, "\""), p);
		}
		if (!strcmp(status, "completed"))
			return 0;
		if (!strcmp(status, "failed") || !strcmp(status, "cancelled"))
			return -1;
		/*
		 * A device state alone is done in tens of ms, a whole VM in
		 * seconds: ask often at first, then every 50 ms, which
		 * costs QEMU little while it writes
		 */
		usleep(wait);
		if (wait < 50000)
			wait *= 2;
	}
	return -1;
}
