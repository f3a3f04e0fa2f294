/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/xxhash.h> for user space: see ../lu_shim.h */
#include "../lu_shim.h"
#include LU_XXHASH_H	/* the kernel's own, from the Makefile */
