#include "config.h"

#include <signal.h>
#include <time.h>

#include "ctrlc.h"

static volatile sig_atomic_t pressed;

static void on_sigint(int sig)
{
    (void)sig;
    pressed = 1;
}

void ts_ctrlc_catch(void)
{
    struct sigaction sa = { .sa_handler = on_sigint };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

bool ts_ctrlc(void)
{
    return pressed != 0;
}

void ts_nap_ms(long ms)
{
    while (ms > 0 && !pressed) {
        long step = ms > 100 ? 100 : ms;
        struct timespec ts = { .tv_sec = 0, .tv_nsec = step * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
}
