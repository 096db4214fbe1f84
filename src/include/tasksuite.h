/* tasksuite.h: the API task code in C can call.
 *
 * Link with -ltasksuite. All functions are safe to call outside a tasksuite
 * job (they then report "no information" instead of failing hard).
 */
#ifndef TASKSUITE_H
#define TASKSUITE_H

#ifdef __cplusplus
extern "C" {
#endif

#define TASKSUITE_VERSION_MAJOR 0
#define TASKSUITE_VERSION_MINOR 1
#define TASKSUITE_VERSION_PATCH 0

/* "0.1.0" of the library actually linked. */
const char *tasksuite_version(void);

#ifdef __cplusplus
}
#endif

#endif
