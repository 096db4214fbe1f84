#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    fprintf(stderr, "usage: tasksuite COMMAND ...\n");
    return 2;
}
