#include "config.h"

#include "slurmopt.h"
