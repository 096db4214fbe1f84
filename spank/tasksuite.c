#include "config.h"

#include <slurm/spank.h>

SPANK_PLUGIN(tasksuite, 1);
