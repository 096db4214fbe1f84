/* pool_agent.c: `tasksuite pool-agent RUNDIR`, one per node of a pool
 * allocation (its batch script starts it with srun). Not for typing: it
 * runs the suite's pooled tasks on this node (src/pool/agent.h,
 * doc/pool.md "Agents").
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "agent.h"
#include "commands.h"
#include "exitcodes.h"

#define POOL_AGENT_USAGE "usage: tasksuite pool-agent RUNDIR"

int cmd_pool_agent(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    if ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
        return ts_cli_usage(POOL_AGENT_USAGE, c == 'h');
    if (argc - optind != 1)
        return ts_cli_usage(POOL_AGENT_USAGE, 0);
    return ts_pool_agent_main(argv[optind]) == 0 ? 0 : TS_EXIT_FAIL;
}
