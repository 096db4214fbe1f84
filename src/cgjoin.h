/* cgjoin.h: the job's own containment for a hook, on a node where Slurm
 * tracks jobs with cgroups and PrologFlags=Contain gives every job an extern
 * step.
 *
 * The extern step's cgroup (.../job_<id>/step_extern in every hierarchy) lives
 * from the start of the allocation to its end, is killed as a whole by Slurm
 * when the job ends, is where pam_slurm_adopt puts ssh sessions, and counts
 * against the job's limits. A hook moved there is part of the job like
 * anything else the user runs; a process it leaves behind cannot outlive the
 * job (and the hook runner kills such leftovers as soon as the hook ends).
 *
 * Found from the caller's own /proc/self/cgroup (a task of the job: it is
 * somewhere under .../job_<id>/) and /proc/self/mountinfo; cgroup v1 (each
 * controller hierarchy) and v2 alike. No cgroups, no job_<id> in the path, or
 * no step_extern (no PrologFlags=Contain): none is found, and the hook stays
 * in the caller's (the step's) containment.
 */
#ifndef TS_CGJOIN_H
#define TS_CGJOIN_H

#include <limits.h>
#include <stdint.h>

/* Fill procs with up to max paths of the step_extern cgroup.procs files
 * (writable by the caller); returns how many. Writing "0" to each moves the
 * writer (root) there; children inherit it. */
int ts_cgroup_extern_procs(uint32_t job_id, char (*procs)[PATH_MAX], int max);

#endif
