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

/* The end of the allocation: Slurm has removed the extern step's memory
 * cgroup before the plugin's exit runs, so env_cleanup gets a cgroup of its
 * own with the job's memory limit, noted at preparation:
 *
 * ts_cgroup_job_memory (preparation, in a task of the job): the job's memory
 * limit and the directory above the job's user level ("/slurm_n1" under the
 * memory hierarchy), which outlives the job. 0 when the job has a limit
 * there, -1 otherwise (no memory cgroup, or no limit: nothing to keep).
 *
 * ts_cgroup_cleanup_create (the end, root): PARENT/tasksuite_cleanup_JOB_NODE,
 * mode 0755 (like Slurm's own), with that limit; its cgroup.procs path in procs. -1 when it
 * cannot be made (the caller then runs the hook without it and says so).
 * ts_cgroup_cleanup_remove: rmdir it once empty (waits up to ~2 s). */
int ts_cgroup_job_memory(uint32_t job_id, char *parent, size_t len, unsigned long long *limit);
int ts_cgroup_cleanup_create(const char *parent, uint32_t job_id, const char *node,
                             unsigned long long limit, char *dir, size_t dlen, char *procs,
                             size_t plen);
void ts_cgroup_cleanup_remove(const char *dir);

#endif
