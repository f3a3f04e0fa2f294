#include "../kho_shim.h"
