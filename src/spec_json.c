#include "config.h"
#include "spec_json.h"
