/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/migrate.h> for user space: see ../lu_shim.h */
#include "../lu_shim.h"
