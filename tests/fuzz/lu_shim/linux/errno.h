/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/errno.h> for user space: see ../lu_shim.h */
#include <asm/errno.h>	/* what <errno.h> would take from here */
#include "../lu_shim.h"
