/* ctrlc.h: the polling loops of the CLI (`submit` following progress,
 * `status --watch`, `logs --follow`) stop cleanly on Ctrl-C: it only ends
 * the loop, never cancels anything. */
#ifndef TS_CTRLC_H
#define TS_CTRLC_H

#include <stdbool.h>

/* Catch SIGINT from now on (sets the flag instead of dying). */
void ts_ctrlc_catch(void);
/* Has Ctrl-C been pressed since ts_ctrlc_catch()? */
bool ts_ctrlc(void);
/* Sleep ms, in 100 ms steps, returning early on Ctrl-C. */
void ts_nap_ms(long ms);

#endif
