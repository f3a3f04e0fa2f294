/* SPDX-License-Identifier: GPL-2.0 */
/*
 * liveupdate.h - live update: user space keeps open files across a KHO
 * kexec reboot in named sessions (/dev/liveupdate). This header is the
 * interface toward the file types that can be kept (file handlers).
 * See Documentation/userspace-api/liveupdate.rst.
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/liveupdate.h>

struct file;

#define LIVEUPDATE_COMPAT_MAX	32

/**
 * struct liveupdate_file_ops - how one type of file lives across kexec
 * @can_preserve: whether this handler takes @file
 * @preserve: keep @file's memory and state for the next kernel. All that
 *	can fail (allocating, preserving memory with KHO) happens here, in
 *	the PRESERVE_FD ioctl. Sets *@data to what the next kernel's
 *	@restore gets (normally the physical address of a record in
 *	preserved memory). Return: 0 or a negative errno, nothing kept.
 * @unpreserve: undo @preserve: the session was closed before the reboot.
 * @freeze: at the kexec reboot, record what may have changed since
 *	@preserve (file position...) without allocating. An error fails
 *	the reboot, and nothing is lost. May be NULL.
 * @restore: in the next kernel, before unclaimed preserved memory is
 *	released: take back the memory @data names and hold it. Return: a
 *	pointer for @retrieve and @finish, or an ERR_PTR (the file is lost,
 *	its memory released).
 * @retrieve: make a new file from what @restore holds (RETRIEVE_FD);
 *	called once. Return: the file or an ERR_PTR; on error @finish
 *	is still called.
 * @finish: drop what @restore holds, if @retrieve did not take it (or
 *	failed): FINISH, or the session was refused.
 */
struct liveupdate_file_ops {
	bool (*can_preserve)(struct file *file);
	int (*preserve)(struct file *file, u64 *data);
	void (*unpreserve)(struct file *file, u64 data);
	int (*freeze)(struct file *file, u64 data);
	void *(*restore)(u64 data);
	struct file *(*retrieve)(void *priv);
	void (*finish)(void *priv);
};

/**
 * struct liveupdate_file_handler - a file type that can be preserved
 * @compatible: versioned name of the handler's record format (at most
 *	%LIVEUPDATE_COMPAT_MAX - 1 characters), e.g. "memfd-v1": the next
 *	kernel restores a file only with a handler of the same name
 * @ops: the operations
 * @list: on the list of handlers
 */
struct liveupdate_file_handler {
	const char *compatible;
	const struct liveupdate_file_ops *ops;
	struct list_head list;
};

#ifdef CONFIG_LIVEUPDATE
int liveupdate_register_file_handler(struct liveupdate_file_handler *h);
#else
static inline int
liveupdate_register_file_handler(struct liveupdate_file_handler *h)
{
	return -EOPNOTSUPP;
}
#endif

#endif /* _LINUX_LIVEUPDATE_H */
