// SPDX-License-Identifier: GPL-2.0
/*
 * device.c - /dev/liveupdate and session file descriptors: the ioctls of
 * the live update user space interface, and the sessions listing in
 * /sys/kernel/liveupdate/sessions.
 */

/**
 * DOC: Live update device
 *
 * ``/dev/liveupdate`` (a misc device, root only, one opener at a time)
 * creates and retrieves sessions; each session is a file descriptor
 * with ioctls of its own. The numbers and argument layouts are mainline
 * Linux's (``include/uapi/linux/liveupdate.h``): every argument starts
 * with its ``size``; a size below the fields an ioctl needs is -EINVAL,
 * bytes beyond the kernel's struct must be zero (-E2BIG otherwise), so
 * older and newer programs keep working.
 *
 * ``/sys/kernel/liveupdate/sessions`` (root only) lists outgoing and
 * incoming sessions and their files, for tools that must work without
 * debugfs.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "internal.h"

static atomic_t lu_opened = ATOMIC_INIT(0);

/*
 * Copy an ioctl argument in: its size field first, at least @min bytes
 * (the fields the ioctl needs), unknown trailing bytes zero.
 */
static int get_arg(void *arg, size_t ksize, size_t min, void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < min)
		return -EINVAL;
	err = copy_struct_from_user(arg, ksize, uarg, usize);
	return err;
}

static int put_arg(void __user *uarg, const void *arg, size_t ksize)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	return copy_to_user(uarg, arg, min_t(size_t, usize, ksize)) ?
	       -EFAULT : 0;
}

/* A name: NUL-terminated inside its 64 bytes, not empty. */
static bool name_ok(const u8 *name)
{
	return name[0] && memchr(name, 0, LIVEUPDATE_SESSION_NAME_LENGTH);
}

static int session_release(struct inode *inode, struct file *file)
{
	lu_session_release(file->private_data);
	return 0;
}

static long session_preserve_fd(struct lu_session *s, void __user *uarg)
{
	struct liveupdate_session_preserve_fd arg;
	struct fd f;
	int err;

	err = get_arg(&arg, sizeof(arg), offsetofend(typeof(arg), token),
		      uarg);
	if (err)
		return err;
	f = fdget(arg.fd);
	if (!fd_file(f))
		return -EBADF;
	err = lu_session_preserve_fd(s, fd_file(f), arg.token);
	fdput(f);
	return err;
}

static long session_retrieve_fd(struct lu_session *s, void __user *uarg)
{
	struct liveupdate_session_retrieve_fd arg;
	struct file *file;
	int err, fd;

	err = get_arg(&arg, sizeof(arg), offsetofend(typeof(arg), token),
		      uarg);
	if (err)
		return err;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = lu_session_retrieve_fd(s, arg.token);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	arg.fd = fd;
	err = put_arg(uarg, &arg, sizeof(arg));
	if (err) {
		put_unused_fd(fd);
		fput(file);
		return err;
	}
	fd_install(fd, file);
	return 0;
}

static long session_ioctl(struct file *file, unsigned int cmd,
			  unsigned long uarg)
{
	struct lu_session *s = file->private_data;
	void __user *p = (void __user *)uarg;
	int err;

	switch (cmd) {
	case LIVEUPDATE_SESSION_PRESERVE_FD:
		return session_preserve_fd(s, p);
	case LIVEUPDATE_SESSION_RETRIEVE_FD:
		return session_retrieve_fd(s, p);
	case LIVEUPDATE_SESSION_FINISH: {
		struct liveupdate_session_finish arg;

		err = get_arg(&arg, sizeof(arg),
			      offsetofend(typeof(arg), reserved), p);
		if (err)
			return err;
		return arg.reserved ? -EINVAL : lu_session_finish(s);
	}
	case LIVEUPDATE_SESSION_GET_NAME: {
		struct liveupdate_session_get_name arg;

		err = get_arg(&arg, sizeof(arg), offsetofend(typeof(arg), name),
			      p);
		if (err)
			return err;
		if (arg.reserved)
			return -EINVAL;
		strscpy(arg.name, s->name, sizeof(arg.name));
		return put_arg(p, &arg, sizeof(arg));
	}
	default:
		return -ENOTTY;
	}
}

static const struct file_operations session_fops = {
	.owner = THIS_MODULE,
	.release = session_release,
	.unlocked_ioctl = session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* A new file descriptor for @s, written to @arg's fd field. */
static int install_session(struct lu_session *s, void __user *uarg,
			   struct liveupdate_ioctl_create_session *arg)
{
	struct file *file;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		lu_session_release(s);
		return fd;
	}
	file = anon_inode_getfile("[liveupdate_session]", &session_fops, s,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		lu_session_release(s);
		return PTR_ERR(file);
	}
	arg->fd = fd;
	err = put_arg(uarg, arg, sizeof(*arg));
	if (err) {
		put_unused_fd(fd);
		fput(file);	/* releases the session */
		return err;
	}
	fd_install(fd, file);
	return 0;
}

static long lu_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	/* create and retrieve take the same layout */
	struct liveupdate_ioctl_create_session arg;
	void __user *p = (void __user *)uarg;
	struct lu_session *s;
	int err;

	BUILD_BUG_ON(sizeof(struct liveupdate_ioctl_create_session) !=
		     sizeof(struct liveupdate_ioctl_retrieve_session));
	if (cmd != LIVEUPDATE_IOCTL_CREATE_SESSION &&
	    cmd != LIVEUPDATE_IOCTL_RETRIEVE_SESSION)
		return -ENOTTY;
	err = get_arg(&arg, sizeof(arg), offsetofend(typeof(arg), name), p);
	if (err)
		return err;
	if (!name_ok(arg.name))
		return -EINVAL;
	if (cmd == LIVEUPDATE_IOCTL_CREATE_SESSION)
		s = lu_session_create(arg.name);
	else
		s = lu_session_retrieve(arg.name);
	if (IS_ERR(s))
		return PTR_ERR(s);
	return install_session(s, p, &arg);
}

static int lu_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (atomic_cmpxchg(&lu_opened, 0, 1))
		return -EBUSY;
	return 0;
}

static int lu_release(struct inode *inode, struct file *file)
{
	atomic_set(&lu_opened, 0);
	return 0;
}

static const struct file_operations lu_fops = {
	.owner = THIS_MODULE,
	.open = lu_open,
	.release = lu_release,
	.unlocked_ioctl = lu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice lu_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate",
	.fops = &lu_fops,
	.mode = 0600,
};

static ssize_t sessions_read(struct file *filp, struct kobject *kobj,
			     struct bin_attribute *attr, char *buf,
			     loff_t off, size_t count)
{
	return lu_sessions_show(buf, off, count);
}

static struct bin_attribute sessions_attr = {
	.attr = { .name = "sessions", .mode = 0400 },
	.read = sessions_read,
};

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
static ssize_t corrupt_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char buf[sizeof(lu_debug_corrupt)];

	if (!len || len >= sizeof(buf) || copy_from_user(buf, ubuf, len))
		return -EINVAL;
	buf[len] = '\0';
	strim(buf);
	mutex_lock(&lu_mutex);
	strscpy(lu_debug_corrupt, buf, sizeof(lu_debug_corrupt));
	mutex_unlock(&lu_mutex);
	return len;
}

static const struct file_operations corrupt_fops = {
	.owner = THIS_MODULE,
	.write = corrupt_write,
};

static void debug_init(void)
{
	struct dentry *dir = debugfs_create_dir("liveupdate", NULL);

	debugfs_create_file("corrupt", 0200, dir, NULL, &corrupt_fops);
	debugfs_create_u32("freeze_delay_ms", 0600, dir,
			   &lu_debug_freeze_delay_ms);
	/* lower only: above the next kernel's limits they do nothing */
	debugfs_create_u32("max_sessions", 0600, dir, &lu_debug_max_sessions);
	debugfs_create_u32("max_files", 0600, dir, &lu_debug_max_files);
}
#else
static inline void debug_init(void)
{
}
#endif

static int __init lu_device_init(void)
{
	struct kobject *kobj;
	int err;

	if (!lu_enabled()) {
		pr_info("off: boot with kho=on for /dev/liveupdate\n");
		return 0;
	}
	kobj = kobject_create_and_add("liveupdate", kernel_kobj);
	if (!kobj || sysfs_create_bin_file(kobj, &sessions_attr))
		pr_warn("no /sys/kernel/liveupdate/sessions\n");
	debug_init();
	err = misc_register(&lu_misc);
	if (err)
		pr_err("cannot register /dev/liveupdate: %d\n", err);
	return err;
}
device_initcall(lu_device_init);
