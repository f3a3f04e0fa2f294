// SPDX-License-Identifier: GPL-2.0
/*
 * sessions.c - "khoctl sessions [--raw|--json]": the live update
 * sessions, from /sys/kernel/liveupdate/sessions (no debugfs needed):
 *
 *   incoming_records: STATUS
 *   outgoing NAME files=N
 *     token=T handler=H size=S
 *   incoming NAME files=N state=open|held|finished restore_us=U
 *     token=T handler=H retrieved=yes|no
 *
 * The listing is parsed into struct lu_sessions (read_sessions(), also
 * used by "khoctl check"), then printed as text or as JSON (schema
 * khoctl-sessions-v1, see json.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "khoctl.h"

#define LU_LISTING_MAX	(64 << 20)

static double mib(unsigned long long b)
{
	return (double)b / (1 << 20);
}

/* the value of " KEY=" in @line, copied up to the next space */
static bool kv(const char *line, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key), n;
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			p += k + 1;
			n = strcspn(p, " \n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, p, n);
			buf[n] = 0;
			return true;
		}
		p += k;
	}
	return false;
}

/*
 * One session line "outgoing NAME files=N[ state=S]": the name is what
 * lies between the word and the last " files=" (names may hold spaces).
 */
static bool session_line(const char *l, const char *word, char *name,
			 size_t len)
{
	size_t w = strlen(word);
	const char *e = NULL, *p;

	if (strncmp(l, word, w) || l[w] != ' ')
		return false;
	for (p = l + w; (p = strstr(p, " files=")); p++)
		e = p;
	if (!e || e <= l + w + 1 || (size_t)(e - (l + w + 1)) >= len)
		return false;
	memcpy(name, l + w + 1, e - (l + w + 1));
	name[e - (l + w + 1)] = 0;
	return true;
}

static void *grow(void *p, unsigned int nr, size_t size)
{
	/* doubled each time @nr reaches a power of two */
	if (nr & (nr - 1))
		return p;
	p = realloc(p, (nr ? nr * 2 : 1) * size);
	if (!p)
		die("out of memory");
	return p;
}

static void parse_file(const char *l, struct lu_file_info *f)
{
	char v[64];

	memset(f, 0, sizeof(*f));
	f->size = -1;
	f->retrieved = -1;
	snprintf(f->raw, sizeof(f->raw), "%s", l + strspn(l, " "));
	if (!kv(l, "token", v, sizeof(v)))
		return;
	f->token = strtoull(v, NULL, 10);
	if (!kv(l, "handler", f->handler, sizeof(f->handler)))
		return;
	f->parsed = true;
	if (kv(l, "size", v, sizeof(v)))
		f->size = strtoll(v, NULL, 10);
	if (kv(l, "retrieved", v, sizeof(v)))
		f->retrieved = !strcmp(v, "yes");
}

/**
 * parse_sessions() - parse the text of /sys/kernel/liveupdate/sessions
 * @text: NUL-terminated listing
 * @ls: filled in; free_sessions() frees it
 */
void parse_sessions(const char *text, struct lu_sessions *ls)
{
	struct lu_session_info *s = NULL;
	char line[512], v[64];
	const char *p;
	bool in;

	memset(ls, 0, sizeof(*ls));
	snprintf(ls->records, sizeof(ls->records), "unknown");
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n = strcspn(p, "\n");

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = 0;

		if (!strncmp(line, "incoming_records:", 17)) {
			snprintf(ls->records, sizeof(ls->records), "%s",
				 line + 17 + strspn(line + 17, " "));
			s = NULL;
			continue;
		}
		in = !strncmp(line, "incoming ", 9);
		if (in || !strncmp(line, "outgoing ", 9)) {
			ls->s = grow(ls->s, ls->nr, sizeof(*ls->s));
			s = &ls->s[ls->nr];
			memset(s, 0, sizeof(*s));
			if (!session_line(line, in ? "incoming" : "outgoing",
					  s->name, sizeof(s->name))) {
				s = NULL;	/* not a session line after all */
				continue;
			}
			ls->nr++;
			s->incoming = in;
			if (kv(line, "files", v, sizeof(v)))
				s->files_declared = strtoul(v, NULL, 10);
			if (!kv(line, "state", s->state, sizeof(s->state)))
				s->state[0] = 0;
			s->restore_us = kv(line, "restore_us", v, sizeof(v)) ?
					strtoll(v, NULL, 10) : -1;
			continue;
		}
		if (line[0] != ' ' || !s) {
			s = NULL;
			continue;
		}
		s->f = grow(s->f, s->nr, sizeof(*s->f));
		parse_file(line, &s->f[s->nr++]);
	}
}

/**
 * free_sessions() - free what parse_sessions() allocated
 * @ls: the sessions
 */
void free_sessions(struct lu_sessions *ls)
{
	unsigned int i;

	for (i = 0; i < ls->nr; i++)
		free(ls->s[i].f);
	free(ls->s);
	ls->s = NULL;
	ls->nr = 0;
}

/**
 * sessions_path() - where the listing is: $KHO_SYSFS/kernel/liveupdate/sessions
 *
 * Return: a static buffer.
 */
const char *sessions_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/liveupdate/sessions",
		 sysfs_dir());
	return path;
}

/**
 * read_sessions() - read and parse the listing
 * @ls: filled in on success
 * @text: if not NULL, set to the raw listing (the caller frees it)
 * @len: its length, if @text is not NULL
 *
 * Return: 0 or -errno (-ENOENT: a kernel without live update, or one
 * booted without kho=on).
 */
int read_sessions(struct lu_sessions *ls, uint8_t **text, size_t *len)
{
	uint8_t *buf;
	size_t n;
	int err;

	err = read_all(sessions_path(), LU_LISTING_MAX, &buf, &n);
	if (err)
		return err;
	parse_sessions((char *)buf, ls);
	if (text) {
		*text = buf;
		*len = n;
	} else {
		free(buf);
	}
	return 0;
}

/* ---- text ---- */

static void print_sessions(const struct lu_sessions *ls, bool incoming,
			   unsigned int *files, unsigned long long *bytes)
{
	unsigned int i, j, shown = 0;

	*files = 0;
	*bytes = 0;
	for (i = 0; i < ls->nr; i++) {
		const struct lu_session_info *s = &ls->s[i];

		if (s->incoming != incoming)
			continue;
		shown++;
		printf("  %-40s %6lu file%s", s->name, s->files_declared,
		       s->files_declared == 1 ? "" : "s");
		if (s->state[0])
			printf("  %s", s->state);
		if (s->restore_us >= 0)
			printf("  taken back in %lld us", s->restore_us);
		putchar('\n');
		for (j = 0; j < s->nr; j++) {
			const struct lu_file_info *f = &s->f[j];

			(*files)++;
			if (!f->parsed) {
				printf("    %s\n", f->raw);
				continue;
			}
			printf("    token %-20llu %-16s",
			       (unsigned long long)f->token, f->handler);
			if (f->size >= 0) {
				*bytes += f->size;
				printf(" %14lld bytes (%.1f MiB)", f->size,
				       mib(f->size));
			}
			if (f->retrieved >= 0)
				printf(" %s", f->retrieved ? "retrieved" :
				       "not retrieved");
			putchar('\n');
		}
	}
	if (!shown)
		printf("  none\n");
}

static unsigned int count_sessions(const struct lu_sessions *ls,
				   bool incoming)
{
	unsigned int i, n = 0;

	for (i = 0; i < ls->nr; i++)
		n += ls->s[i].incoming == incoming;
	return n;
}

/* ---- JSON ---- */

static void json_sessions(const struct lu_sessions *ls, bool incoming)
{
	unsigned int i, j;

	json_key(incoming ? "incoming" : "outgoing");
	json_open('[');
	for (i = 0; i < ls->nr; i++) {
		const struct lu_session_info *s = &ls->s[i];

		if (s->incoming != incoming)
			continue;
		json_open('{');
		json_key("name");
		json_str(s->name);
		if (incoming) {
			json_key("state");
			json_str(s->state[0] ? s->state : NULL);
			json_key("restore_us");
			if (s->restore_us >= 0)
				json_i64(s->restore_us);
			else
				json_str(NULL);
		}
		json_key("nr_files");
		json_u64(s->files_declared);
		json_key("files");
		json_open('[');
		for (j = 0; j < s->nr; j++) {
			const struct lu_file_info *f = &s->f[j];

			json_open('{');
			if (!f->parsed) {
				json_key("unparsed");
				json_str(f->raw);
				json_close('}');
				continue;
			}
			json_key("token");
			json_dec(f->token);
			json_key("handler");
			json_str(f->handler);
			if (incoming) {
				json_key("retrieved");
				if (f->retrieved >= 0)
					json_bool(f->retrieved);
				else
					json_str(NULL);
			} else {
				json_key("bytes");
				json_i64(f->size);
			}
			json_close('}');
		}
		json_close(']');
		json_close('}');
	}
	json_close(']');
}

/**
 * cmd_sessions() - khoctl sessions [--raw|--json]
 * @argc: argument count
 * @argv: arguments
 *
 * Return: 0, or exits with a message.
 */
int cmd_sessions(int argc, char **argv)
{
	unsigned long long out_bytes, in_bytes;
	unsigned int out_files, in_files;
	bool raw = false, json = false;
	struct lu_sessions ls;
	uint8_t *text;
	size_t len;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--raw"))
			raw = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			usage_error("sessions: unexpected argument '%s'",
				    argv[i]);
	}
	if (raw && json)
		usage_error("sessions: --raw or --json, not both");
	err = read_sessions(&ls, &text, &len);
	if (err == -ENOENT)
		die("%s missing (kernel without live update, or booted without kho=on)",
		    sessions_path());
	if (err == -EACCES || err == -EPERM)
		die("%s: %s (must be root)", sessions_path(), strerror(-err));
	if (err)
		die("%s: %s", sessions_path(), strerror(-err));
	if (raw) {
		fwrite(text, 1, len, stdout);
	} else if (json) {
		json_schema("khoctl-sessions-v1");
		json_key("incoming_records");
		json_str(ls.records);
		json_sessions(&ls, false);
		json_sessions(&ls, true);
		json_close('}');
	} else {
		printf("outgoing sessions (handed over at the next kexec if still open):\n");
		print_sessions(&ls, false, &out_files, &out_bytes);
		printf("incoming sessions (from the previous kernel; records %s):\n",
		       ls.records);
		print_sessions(&ls, true, &in_files, &in_bytes);
		printf("total: %u outgoing sessions, %u files, %.1f MiB; %u incoming sessions, %u files\n",
		       count_sessions(&ls, false), out_files, mib(out_bytes),
		       count_sessions(&ls, true), in_files);
	}
	free(text);
	free_sessions(&ls);
	return 0;
}
