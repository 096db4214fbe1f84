#include "config.h"

#include "events.h"
