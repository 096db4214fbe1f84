#include "config.h"

#include "spec.h"
