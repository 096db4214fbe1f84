#include "config.h"

#include "expand.h"
