#include <asm/errno.h>
#include "../kho_shim.h"
