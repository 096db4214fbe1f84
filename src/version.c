#include "config.h"

#include "tasksuite.h"

const char *tasksuite_version(void)
{
    return PACKAGE_VERSION;
}
