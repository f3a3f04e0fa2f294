// SPDX-License-Identifier: GPL-2.0
/*
 * load.c - "khoctl load": load the next kernel of a KHO kexec.
 *
 * The default path is kexec_file_load(2): the kernel itself places every
 * segment in scratch and hands the state tree over in setup_data. With
 * --user, kexec_user.c does it all from user space with kexec_load(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "khoctl.h"

#define KHO_KEXEC_FILE_NO_INITRD	0x4	/* KEXEC_FILE_NO_INITRAMFS */
#define CMDLINE_MAX			(64 << 10)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Append @s (@n bytes) to @out as a new word */
static void add_word(char *out, size_t *len, const char *s, size_t n)
{
	if (*len)
		out[(*len)++] = ' ';
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = 0;
}

/*
 * The next word of a command line, split as the kernel does (double
 * quotes included): its start, and *p moved past it. NULL at the end.
 */
static const char *next_word(const char **p, size_t *n)
{
	const char *w;
	bool quoted = false;

	while (is_space(**p))
		(*p)++;
	if (!**p)
		return NULL;
	for (w = *p; **p && (quoted || !is_space(**p)); (*p)++)
		if (**p == '"')
			quoted = !quoted;
	*n = *p - w;
	return w;
}

static bool is_dashes(const char *w, size_t n)
{
	return n == 2 && w[0] == '-' && w[1] == '-';
}

/*
 * Copy the words of @src to @out: those before the first "--" if @head,
 * else that "--" and all after it. kho_root= words are dropped when
 * @drop_root.
 */
static void copy_words(char *out, size_t *len, const char *src, bool head,
		       bool drop_root)
{
	bool tail = false;
	const char *w;
	size_t n;

	while (src && (w = next_word(&src, &n))) {
		if (is_dashes(w, n))
			tail = true;
		if (tail == head)
			continue;
		if (drop_root && !tail && n >= 9 && !strncmp(w, "kho_root=", 9))
			continue;
		add_word(out, len, w, n);
	}
}

/**
 * build_cmdline() - the next kernel's command line
 * @proc_cmdline: the running kernel's (--reuse-cmdline), or NULL
 * @append: what the user adds, or NULL
 * @kho_root: if not 0, "kho_root=0x..." is added
 *
 * Words are split as the kernel does, double quotes included. kho_root=
 * words of the reused command line are dropped: they name the previous
 * generation's state tree. Everything after a "--" is for init, not the
 * kernel: @append and kho_root= go before the reused line's "--", and
 * kho_root= before @append's own "--" if it has one.
 *
 * Return: a malloc()ed string.
 */
char *build_cmdline(const char *proc_cmdline, const char *append,
		    uint64_t kho_root)
{
	size_t cap = 64, len = 0;
	char *out;

	cap += (proc_cmdline ? strlen(proc_cmdline) : 0) +
	       (append ? strlen(append) : 0);
	out = xmalloc(cap);
	out[0] = 0;
	copy_words(out, &len, proc_cmdline, true, true);
	copy_words(out, &len, append, true, false);
	if (kho_root) {
		char word[32];

		snprintf(word, sizeof(word), "kho_root=0x%llx",
			 (unsigned long long)kho_root);
		add_word(out, &len, word, strlen(word));
	}
	copy_words(out, &len, append, false, false);
	copy_words(out, &len, proc_cmdline, false, false);
	return out;
}

/*
 * Does the command line turn KHO on? The last kho= word before any "--"
 * decides, read as kstrtobool() does.
 */
static bool kho_on(const char *cmdline)
{
	const char *p = cmdline, *w, *v = NULL;
	size_t n;

	while ((w = next_word(&p, &n)) && !is_dashes(w, n))
		if (n >= 4 && !strncmp(w, "kho=", 4))
			v = w + 4;
	if (!v)
		return false;
	return v[0] == 'y' || v[0] == 'Y' || v[0] == '1' ||
	       ((v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N'));
}

/* Is @a option @opt, as "--opt" or "--opt=VALUE"? */
static bool opt_is(const char *a, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(a, opt, n) && (!a[n] || a[n] == '=');
}

/* The value of option argv[*i]: after its '=', or the next argument */
static const char *opt_value(int argc, char **argv, int *i)
{
	const char *eq = strchr(argv[*i], '=');

	if (eq)
		return eq + 1;
	if (*i + 1 >= argc)
		usage_error("load: %s needs a value", argv[*i]);
	return argv[++*i];
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

static int load_file(const char *kernel, const char *initrd,
		     const char *cmdline, bool dry_run)
{
	unsigned long flags = 0;
	int kfd, ifd = -1;
	long ret;

	kfd = open_or_die(kernel);
	if (initrd)
		ifd = open_or_die(initrd);
	else
		flags |= KHO_KEXEC_FILE_NO_INITRD;
	printf("kexec_file_load: kernel %s, initrd %s\n", kernel,
	       initrd ? initrd : "none");
	printf("  command line: %s\n", cmdline);
	if (dry_run) {
		printf("dry run: nothing loaded\n");
		close(kfd);
		if (ifd >= 0)
			close(ifd);
		return 0;
	}
#ifdef SYS_kexec_file_load
	ret = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		      cmdline, flags);
#else
	ret = -1;
	errno = ENOSYS;
#endif
	if (ret) {
		int err = errno;

		switch (err) {
		case EADDRNOTAVAIL:
			die("kexec_file_load: %s (the segments do not fit in KHO scratch; raise kho_scratch= on the next cold boot)",
			    strerror(err));
		case EBUSY:
			die("kexec_file_load: %s (a segment would overlap preserved memory, or a load is in progress)",
			    strerror(err));
		case EPERM:
			die("kexec_file_load: %s (CAP_SYS_BOOT needed, or kexec is disabled)",
			    strerror(err));
		case ENOEXEC:
			die("kexec_file_load: %s (%s is not a kernel image this kernel can load)",
			    strerror(err), kernel);
		case ENOSYS:
			die("kexec_file_load: %s (kernel built without CONFIG_KEXEC_FILE)",
			    strerror(err));
		default:
			die("kexec_file_load: %s", strerror(err));
		}
	}
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	printf("loaded; 'khoctl exec' reboots into it\n");
	return 0;
}

int cmd_load(int argc, char **argv)
{
	const char *kernel = NULL, *initrd = NULL, *append = NULL;
	const char *save = NULL;
	bool user = false, reuse = false, dry_run = false;
	struct kho_status st;
	uint8_t *proc = NULL;
	char *cmdline;
	size_t len;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--user"))
			user = true;
		else if (!strcmp(a, "--reuse-cmdline"))
			reuse = true;
		else if (!strcmp(a, "--dry-run"))
			dry_run = true;
		else if (opt_is(a, "--initrd"))
			initrd = opt_value(argc, argv, &i);
		else if (opt_is(a, "--append"))
			append = opt_value(argc, argv, &i);
		else if (opt_is(a, "--save"))
			save = opt_value(argc, argv, &i);
		else if (a[0] == '-' && a[1])
			usage_error("load: unknown option '%s'", a);
		else if (kernel)
			usage_error("load: more than one KERNEL ('%s')", a);
		else
			kernel = a;
	}
	if (!kernel)
		usage_error("load: need KERNEL");
	if (save && !user)
		usage_error("load: --save goes with --user");

	get_status(&st);
	if (!st.enabled)
		die("KHO is off (boot with kho=on)");
	if (user && !st.root)
		die("the status file gives no state tree (root: 0)");
	if (reuse)
		proc = read_file_or_die("/proc/cmdline", CMDLINE_MAX, &len);
	cmdline = build_cmdline((char *)proc, append, user ? st.root : 0);
	free(proc);
	if (!kho_on(cmdline))
		warn("the command line has no kho=on: the next kernel will ignore the handover");
	if (user)
		ret = load_user(kernel, initrd, cmdline, &st, dry_run, save);
	else
		ret = load_file(kernel, initrd, cmdline, dry_run);
	free(cmdline);
	return ret;
}
