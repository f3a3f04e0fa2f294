/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/swap.h> for user space: see ../lu_shim.h */
#include "../lu_shim.h"
