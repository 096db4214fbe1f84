/* remaining.c: the smallest C task that uses tasksuite.h.
 *
 *   cc remaining.c $(pkg-config --cflags --libs tasksuite) -o remaining
 *
 * Prints the walltime left ("unlimited" outside a job), records a
 * checkpoint when run inside a tasksuite task, and says what it resumed
 * from. Outside a task tasksuite_checkpoint() fails with EINVAL: that is
 * reported, not fatal, so the program runs anywhere. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <tasksuite.h>

int main(int argc, char **argv)
{
    double left = tasksuite_remaining();
    if (isinf(left))
        printf("remaining: unlimited\n");
    else
        printf("remaining: %.0f s\n", left);

    const char *from = tasksuite_last_checkpoint();
    printf("resumed from: %s\n", from ? from : "(first attempt)");

    const char *path = argc > 1 ? argv[1] : "state.ckpt";
    if (tasksuite_checkpoint(path, 1) < 0)
        printf("checkpoint %s: not recorded (%s)\n", path, strerror(errno));
    else
        printf("checkpoint %s: recorded\n", path);
    printf("libtasksuite %s\n", tasksuite_version());
    return 0;
}
