/* spec.t: the suite file parser (spec.h).
 *
 * Mostly table-driven: each invalid input with the exact one-line error a
 * user would see, then valid inputs with the values and defaults they must
 * give, then the sample files in tests/unit/data (found through TS_SRCDIR,
 * which the test harness sets to the source directory).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tap.h"

/* ------------------------------------------------------------ invalid input */

static const struct {
    const char *yaml;
    const char *err;
} invalid[] = {
    /* The file as a whole. */
    { "",
      "t.yaml:1:1: file: is empty (a suite needs at least run:)" },
    { "# only a comment\n",
      "t.yaml:1:1: file: is empty (a suite needs at least run:)" },
    { "- a\n- b\n",
      "t.yaml:1:1: file: expected a map of suite fields (name:, run:, ...), "
      "found a list" },
    { "just text\n",
      "t.yaml:1:1: file: expected a map of suite fields (name:, run:, ...), "
      "found \"just text\"" },
    { "run: [a\n",
      "t.yaml:2:1: syntax: did not find expected ',' or ']'" },
    { "run: x\n\tname: y\n",
      "t.yaml:2:1: syntax: tabs are not allowed for indentation in YAML: "
      "indent with spaces" },
    { "name: t\nrun: x\nmatrix:\n\tn: [1]\n",
      "t.yaml:4:1: syntax: tabs are not allowed for indentation in YAML: "
      "indent with spaces" },
    /* Did you mean: other tools' words, misspellings, case. */
    { "command: echo\n",
      "t.yaml:1:1: command: unknown key (did you mean \"run\"? use an \"x-\" "
      "prefix for extensions)" },
    { "run: x\nslurm:\n  partiton: debug\n",
      "t.yaml:3:3: slurm.partiton: not an sbatch option a suite may set (did "
      "you mean \"partition\"?)" },
    { "run: x %(LR)\nmatrix:\n  lr: [1]\n",
      "t.yaml:1:6: run: %(LR) is not a matrix axis or a task argument (did "
      "you mean %(lr)? names match exactly, case included)" },
    { "run: x %(lf)\ntasks:\n  - args: {lr: 1}\n",
      "t.yaml:1:6: run: %(lf) is not a matrix axis or a task argument (did "
      "you mean %(lr)? names match exactly, case included)" },
    { "run: x\nname: \xff\n",
      "t.yaml:2:7: syntax: invalid leading UTF-8 octet" },
    { "run: *nope\n",
      "t.yaml:1:6: syntax: found undefined alias" },
    { "x-a: &a 1\nx-b: &a 2\nrun: x\n",
      "t.yaml:2:6: syntax: found duplicate anchor (first at line 1)" },
    { "run: x\n---\nname: b\n",
      "t.yaml:3:1: run: is required (the command each task runs)" },
    { "run: \"a\\0b\"\n",
      "t.yaml:1:6: file: a value contains a NUL character" },
    { "{? [a]: 1, run: x}\n",
      "t.yaml:1:4: file: expected a string as key, found a list" },
    { "run: x\nrun: y\n",
      "t.yaml:2:1: run: duplicate key (first at line 1)" },
    { "colour: red\nrun: x\n",
      "t.yaml:1:1: colour: unknown key (use an \"x-\" prefix for "
      "extensions)" },
    { "run: x\nresource: {cpus: 2}\n",
      "t.yaml:2:1: resource: unknown key (did you mean \"resources\"? use "
      "an \"x-\" prefix for extensions)" },
    { "\"a\\nb\": 1\nrun: x\n",
      "t.yaml:1:1: a\\nb: unknown key (use an \"x-\" prefix for "
      "extensions)" },
    { "service: {replicas: 2}\nrun: x\n",
      "t.yaml:1:1: service: SkyServe services are not supported: a suite "
      "runs batch tasks" },
    { "secrets: [HF_TOKEN]\nrun: x\n",
      "t.yaml:1:10: secrets: expected a map, found a list" },
    { "secrets: {TASK_SUITE_ID: x}\nrun: x\n",
      "t.yaml:1:11: secrets.TASK_SUITE_ID: TASK_SUITE_* variables are set by "
      "tasksuite" },

    /* run and setup */
    { "name: x\n",
      "t.yaml:1:1: run: is required (the command each task runs)" },
    { "run: ''\n",
      "t.yaml:1:6: run: is empty" },
    { "run: [a, b]\n",
      "t.yaml:1:6: run: expected a string, found a list" },
    { "run: x\nsetup: {a: 1}\n",
      "t.yaml:2:8: setup: expected a string, found a map" },
    { "run: echo %(lr)\n",
      "t.yaml:1:6: run: %(lr) has no value: there is no matrix: or tasks: "
      "to give it one" },
    { "matrix: {lr: [1]}\nrun: echo %(lr) %(depth)\n",
      "t.yaml:2:6: run: %(depth) is not a matrix axis or a task argument" },
    { "matrix: {lr: [1]}\ntasks: [{args: {depth: 1, lr: 2}}]\n"
      "run: echo %(depth)\n",
      "t.yaml:3:6: run: %(depth) is not a matrix axis, so the matrix tasks "
      "have no value for it" },
    { "tasks:\n  - {args: {lr: 1}}\n  - {name: b}\nrun: echo %(lr)\n",
      "t.yaml:3:5: tasks[1]: has no argument lr, which run uses as %(lr)" },
    { "setup: pip install %(pkg)\nmatrix: {lr: [1]}\nrun: x %(lr)\n",
      "t.yaml:1:8: setup: %(pkg) is not a matrix axis or a task argument" },

    /* name, labels, tags, group */
    { "name: a b\nrun: x\n",
      "t.yaml:1:7: name: \"a b\" is not a valid name (letters, digits, \".\", "
      "\"_\" and \"-\", at most 64)" },
    { "name: \"a\\nb\"\nrun: x\n",
      "t.yaml:1:7: name: \"a\\nb\" is not a valid name (letters, digits, "
      "\".\", \"_\" and \"-\", at most 64)" },
    { "name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaa\nrun: x\n",
      "t.yaml:1:7: name: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
      "\" is not a valid name (letters, digits, \".\", \"_\" and \"-\", at "
      "most 64)" },
    { "name: [a]\nrun: x\n",
      "t.yaml:1:7: name: expected a string, found a list" },
    { "labels: a\nrun: x\n",
      "t.yaml:1:9: labels: expected a list, found \"a\"" },
    { "labels: [a, '']\nrun: x\n",
      "t.yaml:1:13: labels[1]: is empty" },
    { "tags: [gpu, 'a|b']\nrun: x\n",
      "t.yaml:1:13: tags[1]: \"a|b\" is not a valid tag (letters, digits, "
      "\".\", \"_\", \":\", \"+\" and \"-\"; for other constraints use "
      "slurm: {constraint: ...})" },
    { "tags: [{a: 1}]\nrun: x\n",
      "t.yaml:1:8: tags[0]: expected a string, found a map" },
    { "group: ml team\nrun: x\n",
      "t.yaml:1:8: group: \"ml team\" must not contain spaces" },

    /* slurm */
    { "slurm: [partition]\nrun: x\n",
      "t.yaml:1:8: slurm: expected a map, found a list" },
    { "slurm: {partition: [a]}\nrun: x\n",
      "t.yaml:1:20: slurm.partition: expected a string, found a list" },
    { "slurm: {partition: a, partition: b}\nrun: x\n",
      "t.yaml:1:23: slurm.partition: duplicate key (first at line 1)" },
    { "slurm: {frobnicate: 1}\nrun: x\n",
      "t.yaml:1:9: slurm.frobnicate: not an sbatch option a suite may set "
      "(e.g. partition, time, qos, account)" },
    { "slurm: {cpus_per_task: 2}\nrun: x\n",
      "t.yaml:1:9: slurm.cpus_per_task: not an sbatch option a suite may set "
      "(did you mean \"cpus-per-task\"?)" },
    { "slurm: {--partition: gpu}\nrun: x\n",
      "t.yaml:1:9: slurm.--partition: write the option without the leading "
      "\"--\"" },
    { "slurm: {array: 1-10}\nrun: x\n",
      "t.yaml:1:9: slurm.array: not allowed: tasksuite builds the job array "
      "(use array-throttle to limit it)" },

    /* num_nodes */
    { "num_nodes: 0\nrun: x\n",
      "t.yaml:1:12: num_nodes: must be from 1 to 100000, found 0" },
    { "num_nodes: two\nrun: x\n",
      "t.yaml:1:12: num_nodes: expected an integer, found \"two\"" },
    { "num_nodes: 1.5\nrun: x\n",
      "t.yaml:1:12: num_nodes: expected an integer, found \"1.5\"" },
    { "num_nodes: 99999999999999999999\nrun: x\n",
      "t.yaml:1:12: num_nodes: expected an integer, found "
      "\"99999999999999999999\"" },
    { "num_nodes: [1]\nrun: x\n",
      "t.yaml:1:12: num_nodes: expected an integer, found a list" },

    /* resources */
    { "resources: 4\nrun: x\n",
      "t.yaml:1:12: resources: expected a map, found \"4\"" },
    { "resources: {cpus: 0}\nrun: x\n",
      "t.yaml:1:19: resources.cpus: must be from 1 to 100000, found \"0\"" },
    { "resources: {cpus: four}\nrun: x\n",
      "t.yaml:1:19: resources.cpus: \"four\" is not a CPU count (e.g. 4, or "
      "\"500m\")" },
    { "resources: {cpus: -2}\nrun: x\n",
      "t.yaml:1:19: resources.cpus: \"-2\" is not a CPU count (e.g. 4, or "
      "\"500m\")" },
    { "resources:\n  memory: 16Gx\nrun: x\n",
      "t.yaml:2:11: resources.memory: \"16Gx\" is not a size (e.g. 512Mi, "
      "16Gi)" },
    { "resources: {memory: -1Gi}\nrun: x\n",
      "t.yaml:1:21: resources.memory: \"-1Gi\" is not a size (e.g. 512Mi, "
      "16Gi)" },
    { "resources: {memory: 0}\nrun: x\n",
      "t.yaml:1:21: resources.memory: must be more than 0 (for all of a "
      "node's memory use slurm: {mem: 0})" },
    { "resources: {accelerators: 'V100:x'}\nrun: x\n",
      "t.yaml:1:27: resources.accelerators: \"V100:x\" is not an accelerator "
      "(e.g. V100:2, or a count: 2)" },
    { "resources: {accelerators: 'V 100'}\nrun: x\n",
      "t.yaml:1:27: resources.accelerators: \"V 100\" is not an accelerator "
      "(e.g. V100:2, or a count: 2)" },
    { "resources: {accelerators: ':2'}\nrun: x\n",
      "t.yaml:1:27: resources.accelerators: \":2\" is not an accelerator "
      "(e.g. V100:2, or a count: 2)" },
    { "resources: {accelerators: 'V100:0'}\nrun: x\n",
      "t.yaml:1:27: resources.accelerators: the count must be from 1 to "
      "1024, found \"V100:0\"" },
    { "resources: {accelerators: [V100, A100]}\nrun: x\n",
      "t.yaml:1:27: resources.accelerators: a list of alternatives: name one "
      "type (e.g. V100:2), or list them under resources.any_of" },
    { "resources: {accelerators: {V100: 1, A100: 2}}\nrun: x\n",
      "t.yaml:1:27: resources.accelerators: name one accelerator type, e.g. "
      "{V100: 2}" },
    { "resources: {any_of: []}\nrun: x\n",
      "t.yaml:1:21: resources.any_of: is empty: list at least one set of "
      "resources" },
    { "resources: {ordered: [{ordered: [{cpus: 1}]}]}\nrun: x\n",
      "t.yaml:1:24: resources.ordered[0].ordered: belongs in resources:, not "
      "in one of its alternatives" },
    { "resources: {any_of: [{cpus: 1}], candidates: [{cpus: 2}]}\nrun: x\n",
      "t.yaml:1:46: resources.candidates: resources.any_of already lists "
      "alternatives: use one of any_of, ordered, candidates" },
    { "resources: {any_of: [{cpus: x}]}\nrun: x\n",
      "t.yaml:1:29: resources.any_of[0].cpus: \"x\" is not a CPU count (e.g. 4, "
      "or \"500m\")" },
    { "resources: {job_recovery: {max_restarts_on_errors: -1}}\nrun: x\n",
      "t.yaml:1:52: resources.job_recovery.max_restarts_on_errors: must be "
      "from 0 to 100, found -1" },
    { "resources: {job_recovery: {strategy: X, retries: 2}}\nrun: x\n",
      "t.yaml:1:41: resources.job_recovery.retries: unknown key (use an \"x-\" "
      "prefix for extensions)" },
    { "resources: {image_id: [a]}\nrun: x\n",
      "t.yaml:1:23: resources.image_id: expected a string, found a list" },
    { "resources: {gpu: 2}\nrun: x\n",
      "t.yaml:1:13: resources.gpu: unknown key (did you mean \"cpus\"? use "
      "an \"x-\" prefix for extensions)" },

    /* envs, volumes, workdir, output_dir */
    { "envs: {1X: a}\nrun: x\n",
      "t.yaml:1:8: envs.1X: \"1X\" is not a valid environment variable name "
      "(letters, digits and \"_\", not starting with a digit)" },
    { "envs: {A: [1]}\nrun: x\n",
      "t.yaml:1:11: envs.A: expected a string, found a list" },
    { "envs: {TASK_SUITE_ID: x}\nrun: x\n",
      "t.yaml:1:8: envs.TASK_SUITE_ID: TASK_SUITE_* variables are set by "
      "tasksuite" },
    { "envs: [A=1]\nrun: x\n",
      "t.yaml:1:7: envs: expected a map, found a list" },
    { "volumes: {/data: {a: 1}}\nrun: x\n",
      "t.yaml:1:18: volumes./data: expected a string, found a map" },
    { "workdir: ''\nrun: x\n",
      "t.yaml:1:10: workdir: is empty" },
    { "output_dir: [a]\nrun: x\n",
      "t.yaml:1:13: output_dir: expected a string, found a list" },

    /* hooks */
    { "env_preparation: {timeout: 5m}\nrun: x\n",
      "t.yaml:1:18: env_preparation: needs args: (a program and its "
      "arguments) or run: (shell text)" },
    { "env_preparation: {args: [a], run: b}\nrun: x\n",
      "t.yaml:1:35: env_preparation.run: give args: or run:, not both" },
    { "env_preparation: {run: b, args: [a]}\nrun: x\n",
      "t.yaml:1:33: env_preparation.args: give args: or run:, not both" },
    { "env_preparation: {args: []}\nrun: x\n",
      "t.yaml:1:25: env_preparation.args: is empty (give the program to "
      "run)" },
    { "env_preparation: {args: ['', x]}\nrun: x\n",
      "t.yaml:1:26: env_preparation.args[0]: is empty (the program to run)" },
    { "env_preparation: {args: [a, [b]]}\nrun: x\n",
      "t.yaml:1:29: env_preparation.args[1]: expected a string, found a "
      "list" },
    { "env_preparation: {run: x, envs: {A-B: 1}}\nrun: x\n",
      "t.yaml:1:34: env_preparation.envs.A-B: \"A-B\" is not a valid "
      "environment variable name (letters, digits and \"_\", not starting "
      "with a digit)" },
    { "env_cleanup: {run: x, timeout: 5x}\nrun: x\n",
      "t.yaml:1:32: env_cleanup.timeout: \"5x\" is not a duration (e.g. 90s, "
      "5m, 2h, 1-12:00:00)" },
    { "env_cleanup: {run: x, timeout: 0s}\nrun: x\n",
      "t.yaml:1:32: env_cleanup.timeout: must be from 1s to 1d, found "
      "\"0s\"" },
    { "on_complete: {run: x, retries: 2}\nrun: x\n",
      "t.yaml:1:23: on_complete.retries: unknown key (use an \"x-\" prefix "
      "for extensions)" },
    { "on_complete: python x.py\nrun: x\n",
      "t.yaml:1:14: on_complete: expected a map, found \"python x.py\"" },

    /* matrix */
    { "matrix: [lr]\nrun: x\n",
      "t.yaml:1:9: matrix: expected a map, found a list" },
    { "matrix: {lr: 0.1}\nrun: x\n",
      "t.yaml:1:14: matrix.lr: expected a list of values, found \"0.1\"" },
    { "matrix: {lr: []}\nrun: x\n",
      "t.yaml:1:14: matrix.lr: has no values" },
    { "matrix: {learning-rate: [1]}\nrun: x\n",
      "t.yaml:1:10: matrix.learning-rate: \"learning-rate\" is not a valid "
      "axis name (letters, digits and \"_\", not starting with a digit, at "
      "most 64)" },
    { "matrix: {lr: [1, [2]]}\nrun: x\n",
      "t.yaml:1:18: matrix.lr[1]: expected a value, found a list" },
    { "matrix: {lr: [0.1, 0.2, 0.1]}\nrun: x\n",
      "t.yaml:1:25: matrix.lr[2]: \"0.1\" is listed twice (first as item 0)" },

    /* tasks */
    { "tasks: {name: a}\nrun: x\n",
      "t.yaml:1:8: tasks: expected a list, found a map" },
    { "tasks: [a]\nrun: x\n",
      "t.yaml:1:9: tasks[0]: expected a map, found \"a\"" },
    { "tasks: [{name: 'a b'}]\nrun: x\n",
      "t.yaml:1:16: tasks[0].name: \"a b\" is not a valid task name "
      "(letters, digits, \".\", \"_\" and \"-\", at most 64)" },
    { "tasks:\n  - {name: a}\n  - {name: a}\nrun: x\n",
      "t.yaml:3:5: tasks[1].name: \"a\" is already the name of tasks[0]" },
    { "tasks: [{args: {1x: 2}}]\nrun: x\n",
      "t.yaml:1:17: tasks[0].args.1x: \"1x\" is not a valid argument name "
      "(letters, digits and \"_\", not starting with a digit, at most 64)" },
    { "tasks: [{args: {lr: }}]\nrun: x\n",
      "t.yaml:1:21: tasks[0].args.lr: has no value" },
    { "tasks: [{args: [1, 2]}]\nrun: x\n",
      "t.yaml:1:16: tasks[0].args: expected a map, found a list" },
    { "tasks: [{priority: high}]\nrun: x\n",
      "t.yaml:1:20: tasks[0].priority: expected an integer, found "
      "\"high\"" },
    { "tasks: [{prio: 1}]\nrun: x\n",
      "t.yaml:1:10: tasks[0].prio: unknown key (use an \"x-\" prefix for "
      "extensions)" },

    /* resume */
    { "resume: {max_retries: 101}\nrun: x\n",
      "t.yaml:1:23: resume.max_retries: must be from 0 to 100, found 101" },
    { "resume: {max_retries: -1}\nrun: x\n",
      "t.yaml:1:23: resume.max_retries: must be from 0 to 100, found -1" },
    { "resume: {retry_on: timeout}\nrun: x\n",
      "t.yaml:1:20: resume.retry_on: expected a list, found \"timeout\"" },
    { "resume: {retry_on: [timeout, crashed]}\nrun: x\n",
      "t.yaml:1:30: resume.retry_on[1]: \"crashed\" is not a state that can "
      "be retried (timeout, node_fail, preempted, failed)" },
    { "resume: {signal: USR3@300}\nrun: x\n",
      "t.yaml:1:18: resume.signal: \"USR3@300\" is not a signal (e.g. "
      "USR2@300: SIGUSR2 300 s before the walltime)" },
    { "resume: {signal: 'USR2@'}\nrun: x\n",
      "t.yaml:1:18: resume.signal: \"USR2@\" is not a signal (e.g. "
      "USR2@300: SIGUSR2 300 s before the walltime)" },
    { "resume: {signal: USR2@0}\nrun: x\n",
      "t.yaml:1:18: resume.signal: the lead time must be from 1 to 65535 "
      "seconds (Slurm's limit), found \"USR2@0\"" },
    { "resume: {signal: USR2@99999}\nrun: x\n",
      "t.yaml:1:18: resume.signal: the lead time must be from 1 to 65535 "
      "seconds (Slurm's limit), found \"USR2@99999\"" },
    { "resume: {signal: KILL@60}\nrun: x\n",
      "t.yaml:1:18: resume.signal: \"KILL@60\" cannot be caught, so no task "
      "could act on it (use USR2 or TERM)" },
    { "resume: [1]\nrun: x\n",
      "t.yaml:1:9: resume: expected a map, found a list" },

    /* worker_schedule */
    { "worker_schedule: {task_prefetch_count: 4}\nrun: x\n",
      "t.yaml:1:18: worker_schedule.worker_count: is required (how many "
      "workers run tasks)" },
    { "worker_schedule: {worker_count: 0}\nrun: x\n",
      "t.yaml:1:33: worker_schedule.worker_count: must be from 1 to 10000, "
      "found 0" },
    { "worker_schedule: {worker_count: 2, task_prefetch_count: -1}\n"
      "run: x\n",
      "t.yaml:1:57: worker_schedule.task_prefetch_count: must be from 0 to "
      "1000000, found -1" },
    { "worker_schedule: {worker_count: 2, suspend_after: -3}\n"
      "run: x\n",
      "t.yaml:1:51: worker_schedule.suspend_after: must be from 0 to "
      "1000000, found -3" },
    { "worker_schedule: {worker_count: 2, cpu_binding: [0, 1]}\nrun: x\n",
      "t.yaml:1:49: worker_schedule.cpu_binding: expected a map, found a "
      "list" },
    { "worker_schedule: {worker_count: 2, cpu_binding: {strategy: Random}}\n"
      "run: x\n",
      "t.yaml:1:60: worker_schedule.cpu_binding.strategy: \"Random\" is not "
      "a strategy (RoundRobin, Exclusive or Shared)" },
    { "worker_schedule: {worker_count: 2, cpu_binding: {cores: [0, -1]}}\n"
      "run: x\n",
      "t.yaml:1:61: worker_schedule.cpu_binding.cores[1]: must be from 0 to "
      "65535, found -1" },
    { "worker_schedule: {worker_count: 2, cpu_binding: {cores: [3, 3]}}\n"
      "run: x\n",
      "t.yaml:1:61: worker_schedule.cpu_binding.cores[1]: core 3 is listed "
      "twice" },
    { "worker_schedule:\n  worker_count: 4\n"
      "  cpu_binding: {cores: [0, 1], strategy: Exclusive}\nrun: x\n",
      "t.yaml:3:24: worker_schedule.cpu_binding.cores: Exclusive gives each "
      "worker its own core: 2 cores for 4 workers" },
    { "worker_schedule: {worker_count: 2, allocations: 0}\nrun: x\n",
      "t.yaml:1:49: worker_schedule.allocations: must be from 1 to 64, found 0" },
    { "worker_schedule: {worker_count: 2, allocations: many}\nrun: x\n",
      "t.yaml:1:49: worker_schedule.allocations: expected an integer, found \"many\"" },
    { "worker_schedule: {worker_count: 2, lease: 10s}\nrun: x\n",
      "t.yaml:1:43: worker_schedule.lease: must be from 30s to 7d, found \"10s\"" },
    { "worker_schedule: {worker_count: 2, lease: soon}\nrun: x\n",
      "t.yaml:1:43: worker_schedule.lease: \"soon\" is not a duration (e.g. 90s, 5m, 2h, "
      "1-12:00:00)" },

    /* depends_on, close_after */
    { "depends_on: other\nrun: x\n",
      "t.yaml:1:13: depends_on: expected a list, found \"other\"" },
    { "depends_on: [a, b, a]\nrun: x\n",
      "t.yaml:1:20: depends_on[2]: \"a\" is listed twice (first as item 0)" },
    { "depends_on: ['a b']\nrun: x\n",
      "t.yaml:1:14: depends_on[0]: \"a b\" must not contain spaces" },
    { "close_after: forever\nrun: x\n",
      "t.yaml:1:14: close_after: \"forever\" is not a duration (e.g. 90s, "
      "5m, 2h, 1-12:00:00)" },
    { "close_after: 31d\nrun: x\n",
      "t.yaml:1:14: close_after: must be from 0s to 30d, found \"31d\"" },
};

static void test_invalid(void)
{
    size_t n = sizeof invalid / sizeof invalid[0];

    diag("%zu invalid inputs", n);
    for (size_t i = 0; i < n; i++) {
        ts_suite *s = (ts_suite *)&n;     /* must stay untouched */
        ts_err err = { 0 };
        char name[64];
        int rc = ts_spec_parse("t.yaml", invalid[i].yaml,
                               strlen(invalid[i].yaml), &s, &err);

        snprintf(name, sizeof name, "invalid[%zu] is refused", i);
        ok(rc == -1 && s == (ts_suite *)&n, "%s", name);
        snprintf(name, sizeof name, "invalid[%zu] message", i);
        if (!is_str(err.msg, invalid[i].err, name))
            diag("input: %s", invalid[i].yaml);
        ok(strchr(err.msg, '\n') == NULL, "invalid[%zu] is one line", i);
    }
}

/* Inputs too big for the table, built here. */
static char *repeat(const char *head, const char *unit, size_t times,
                    const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *buf = malloc(hl + ul * times + tl + 1), *p = buf;

    if (!buf)
        abort();
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < times; i++, p += ul)
        memcpy(p, unit, ul);
    memcpy(p, tail, tl + 1);
    return buf;
}

static void expect_error(char *yaml, const char *want, const char *name)
{
    ts_suite *s = NULL;
    ts_err err = { 0 };

    ok(ts_spec_parse("t.yaml", yaml, strlen(yaml), &s, &err) == -1
       && s == NULL, "%s is refused", name);
    is_str(err.msg, want, name);
    free(yaml);
}

static void test_limits(void)
{
    char *yaml, *p;

    expect_error(repeat("x-deep: ", "[", 70, "\nrun: x\n"),
                 "t.yaml:1:72: file: nested more than 64 levels deep",
                 "nesting limit");
    expect_error(repeat("x-many: [", "1,", 100001, "]\nrun: x\n"),
                 "t.yaml:1:200004: file: more than 100000 YAML nodes",
                 "node limit");
    expect_error(repeat("x-a: [", "&a 1,", 1001, "]\nrun: x\n"),
                 "t.yaml:1:5007: file: more than 1000 anchors",
                 "anchor limit");
    expect_error(repeat("x-a: &a 1\nx-b: [", "*a,", 10001, "]\nrun: x\n"),
                 "t.yaml:2:30007: file: more than 10000 aliases",
                 "alias limit");

    /* Billion laughs, the kind that reaches the schema: one task with a
     * thousand args, listed a thousand times through an alias. */
    yaml = repeat("x-t: &t {args: {", "a0000: 1, ", 1000, "}}\ntasks: [");
    for (int i = 0; i < 1000; i++) {         /* distinct arg names */
        p = strstr(yaml + 16 + 10 * i, "a0000");
        p[1] = (char)('0' + i / 1000 % 10);
        p[2] = (char)('0' + i / 100 % 10);
        p[3] = (char)('0' + i / 10 % 10);
        p[4] = (char)('0' + i % 10);
    }
    p = repeat(yaml, "*t, ", 1001, "]\nrun: x\n");
    free(yaml);
    expect_error(p, "t.yaml:1:16: tasks[997].args: more than 1000000 values "
                 "to read (an alias counts each time it is used)",
                 "visit budget");

    /* 101^3 > 1,000,000 tasks */
    yaml = malloc(4096);
    strcpy(yaml, "matrix:\n");
    for (const char *axis = "abc"; *axis; axis++) {
        sprintf(yaml + strlen(yaml), "  %c: [0", *axis);
        for (int i = 1; i <= 100; i++)
            sprintf(yaml + strlen(yaml), ",%d", i);
        strcat(yaml, "]\n");
    }
    strcat(yaml, "run: x\n");
    expect_error(yaml, "t.yaml:2:3: matrix: makes more than 1000000 tasks",
                 "matrix size limit");

    /* A value too long to show is cut, never split inside a character. */
    expect_error(repeat("name: ", "\xc3\xa9", 100, "\nrun: x\n"),
                 "t.yaml:1:7: name: \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\" is not a valid "
                 "name (letters, digits, \".\", \"_\" and \"-\", at most 64)",
                 "utf-8 truncation");

    {
        size_t big = (4u << 20) + 1;
        ts_suite *s = NULL;
        ts_err err = { 0 };

        yaml = calloc(1, big);
        ok(ts_spec_parse("t.yaml", yaml, big, &s, &err) == -1 && !s,
           "a buffer over 4 MiB is refused");
        is_str(err.msg, "t.yaml: larger than 4 MiB, the limit for a suite "
               "file", "size limit message");
        free(yaml);
    }
}

/* ---------------------------------------------------------------- valid */

static ts_suite *parse_ok(const char *yaml, const char *what)
{
    ts_suite *s = NULL;
    ts_err err = { 0 };

    if (!ok(ts_spec_parse("t.yaml", yaml, strlen(yaml), &s, &err) == 0 && s,
            "%s parses", what))
        diag("error: %s", err.msg);
    return s;
}

static void test_defaults(void)
{
    ts_suite *s = parse_ok("run: echo hi\n", "minimal suite");

    if (!s)
        return;
    is_str(s->path, "t.yaml", "path kept");
    is_str(s->name, "t", "name defaults to the basename");
    is_str(s->run, "echo hi", "run");
    is_int(s->run_pos.line, 1, "run line");
    is_int(s->run_pos.col, 6, "run col");
    ok(s->setup == NULL && s->workdir == NULL && s->output_dir == NULL
       && s->group == NULL, "optional strings absent");
    is_int(s->num_nodes, 1, "num_nodes default");
    is_int(s->resources.cpus, 0, "cpus not given");
    is_int((long long)s->resources.memory_mb, 0, "memory not given");
    is_int(s->resources.gpu_count, 0, "no gpus");
    ok(!s->env_preparation.present && !s->env_cleanup.present
       && !s->on_complete.present, "no hooks");
    is_int(s->resume.max_retries, 3, "max_retries default");
    is_int(s->resume.retry_on, TS_RETRY_TIMEOUT, "retry_on default");
    is_int(s->resume.signal, SIGUSR2, "signal default");
    is_int(s->resume.signal_lead_s, 300, "signal lead default");
    is_int(s->close_after_s, 0, "close_after default: none, complete when all done");
    ok(!s->worker_schedule.present, "no worker schedule");
    ok(s->nmatrix == 0 && s->ntasks == 0, "no matrix, no tasks");
    is_int((long long)s->warnings.n, 0, "no warnings");
    ts_spec_free(s);
}

/* The default lead (300 s) never comes at or before the start of a short
 * job: at most half the walltime, and the suite says so. */
static void test_signal_lead_clamp(void)
{
    static const struct {
        const char *yaml;
        int lead;
        const char *warning;   /* NULL: none */
    } cases[] = {
        { "run: x\nslurm: {time: \"1\"}\n", 30,
          "t.yaml:2:9: resume.signal lead 300s is longer than the 1-minute walltime: using 30s" },
        { "run: x\nslurm: {time: \"0:10\"}\n", 30,
          "t.yaml:2:9: resume.signal lead 300s is longer than the 1-minute walltime: using 30s" },
        { "run: x\nslurm: {time: \"8\"}\nresume: {signal: USR2@300}\n", 240,
          "t.yaml:2:9: resume.signal lead 300s is more than half of the 8-minute walltime: using 240s" },
        { "run: x\nslurm: {time: \"2:00:00\"}\n", 300, NULL },
        { "run: x\nslurm: {time: \"10\"}\n", 300, NULL },
        { "run: x\nslurm: {time: UNLIMITED}\n", 300, NULL },
        { "run: x\n", 300, NULL },
        { "run: x\nslurm: {time: \"1\"}\nresume: {signal: USR1@10}\n", 10, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_suite *s = parse_ok(cases[i].yaml, "suite with a walltime");
        if (!s)
            continue;
        is_int(s->resume.signal_lead_s, cases[i].lead, "lead after the clamp");
        is_int((long long)s->warnings.n, cases[i].warning ? 1 : 0, "one warning when clamped");
        if (cases[i].warning && s->warnings.n)
            is_str(s->warnings.v[0], cases[i].warning, "the warning names both numbers");
        ts_spec_free(s);
    }
}

static void test_default_names(void)
{
    static const struct { const char *path, *name; } cases[] = {
        { "dir/sweep.yaml", "sweep" },
        { "/a/b/sweep.yml", "sweep" },
        { "my sweep.yaml", "my-sweep" },
        { "noext", "noext" },
        { ".yaml", "suite" },
        { "dir/", "suite" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_suite *s = NULL;
        ts_err err = { 0 };

        if (ts_spec_parse(cases[i].path, "run: x", 6, &s, &err) < 0) {
            ok(0, "default name for %s: %s", cases[i].path, err.msg);
            continue;
        }
        is_str(s->name, cases[i].name, cases[i].path);
        ts_spec_free(s);
    }
    {
        ts_suite *s = parse_ok("name:\nresources:\nrun: x\n", "null values");

        if (s)
            is_str(s->name, "t", "a null name is no name");
        ts_spec_free(s);
    }
}

static void test_values(void)
{
    ts_suite *s = parse_ok(
        "name: v-1.0_b\n"
        "labels: [a, 'b:c']\n"
        "tags: [gpu, 'cuda:11.8']\n"
        "group: ml\n"
        "slurm: {partition: gpu, exclusive: , time: 04:00:00}\n"
        "num_nodes: '2'\n"
        "resources: {cpus: 500m, memory: 1.5Gi, accelerators: 'A100:0.5'}\n"
        "envs: {B: 2, A: 'x y', E: ''}\n"
        "workdir: ~/w\n"
        "output_dir: /out\n"
        "env_preparation: {args: [./p, ''], timeout: 300}\n"
        "env_cleanup: {run: rm -rf x, envs: {K: v}}\n"
        "on_complete: {run: ./done}\n"
        "setup: |\n  pip install x\n"
        "run: printf '%(%F)T' %(a) %(b)\n"
        "matrix: {a: [0.1, '0.10', null, ~], b: [x]}\n"
        "tasks:\n"
        "  - {name: first, args: {a: 1, b: 2}, priority: -5}\n"
        "  - args: {b: 3, a: 4}\n"
        "resume: {max_retries: 0, retry_on: [node_fail, failed, failed],"
        " signal: TERM@5m}\n"
        "worker_schedule: {worker_count: 3,"
        " cpu_binding: {cores: [2, 0, 1], strategy: exclusive}}\n"
        "depends_on: [prep, 'lr=0.1,depth=18']\n"
        "close_after: 0s\n",
        "every field");

    if (!s)
        return;
    is_str(s->name, "v-1.0_b", "name");
    ok(s->labels.n == 2 && !strcmp(s->labels.v[1], "b:c"), "labels");
    ok(s->tags.n == 2 && !strcmp(s->tags.v[1], "cuda:11.8"), "tags");
    is_str(s->group, "ml", "group");
    is_int((long long)s->slurm.n, 3, "slurm options");
    is_str(ts_kv_get(&s->slurm, "exclusive"), "", "a flag option is \"\"");
    is_str(ts_kv_get(&s->slurm, "time"), "04:00:00", "time as written");
    ok(ts_kv_get(&s->slurm, "nope") == NULL, "ts_kv_get miss");
    is_int(s->num_nodes, 2, "quoted num_nodes");
    is_int(s->resources.cpus, 1, "500m rounds up to 1 cpu");
    is_int((long long)s->resources.memory_mb, 1536, "1.5Gi");
    is_str(s->resources.gpu_type, "a100", "gpu type lowercased");
    is_int(s->resources.gpu_count, 1, "half a GPU rounds up");
    ok(s->envs.n == 3 && !strcmp(s->envs.v[0].key, "B")
       && !strcmp(s->envs.v[0].value, "2") && !strcmp(s->envs.v[2].value, ""),
       "envs in file order, as text");
    is_int(s->envs.v[1].pos.line, 8, "env key line");
    is_str(s->workdir, "~/w", "workdir as written");
    is_str(s->output_dir, "/out", "output_dir");
    ok(s->env_preparation.present && s->env_preparation.args.n == 2
       && s->env_preparation.run == NULL
       && !strcmp(s->env_preparation.args.v[1], ""), "prep args");
    is_int(s->env_preparation.timeout_s, 18000, "bare timeout is minutes");
    is_int(s->env_preparation.pos.line, 11, "hook position");
    ok(s->env_cleanup.present && !strcmp(s->env_cleanup.run, "rm -rf x")
       && s->env_cleanup.timeout_s == 0
       && !strcmp(ts_kv_get(&s->env_cleanup.envs, "K"), "v"), "cleanup");
    ok(s->on_complete.present && !strcmp(s->on_complete.run, "./done"),
       "on_complete");
    is_str(s->setup, "pip install x\n", "setup block text");
    is_int(s->setup_pos.line, 14, "setup position");
    is_int((long long)s->nmatrix, 2, "matrix axes");
    ok(s->matrix[0].values.n == 4 && !strcmp(s->matrix[0].values.v[1], "0.10")
       && !strcmp(s->matrix[0].values.v[2], "null")
       && !strcmp(s->matrix[0].values.v[3], "~"), "matrix values as written");
    is_str(s->matrix[1].name, "b", "second axis");
    is_int((long long)s->ntasks, 2, "tasks");
    is_str(s->tasks[0].name, "first", "task name");
    is_int(s->tasks[0].priority, -5, "task priority");
    ok(s->tasks[1].name == NULL && s->tasks[1].priority == 0, "task defaults");
    is_str(s->tasks[1].args.v[0].key, "b", "args in file order");
    is_int(s->tasks[1].pos.line, 20, "task position");
    is_int(s->resume.max_retries, 0, "max_retries 0");
    is_int(s->resume.retry_on, TS_RETRY_NODE_FAIL | TS_RETRY_FAILED,
           "retry_on bits");
    is_int(s->resume.signal, SIGTERM, "signal TERM");
    is_int(s->resume.signal_lead_s, 300, "lead as a duration");
    ok(s->worker_schedule.present && s->worker_schedule.worker_count == 3
       && s->worker_schedule.task_prefetch_count == 3
       && s->worker_schedule.suspend_after == TS_SUSPEND_AFTER_DEFAULT
       && s->worker_schedule.strategy == TS_BIND_EXCLUSIVE
       && s->worker_schedule.ncores == 3 && s->worker_schedule.cores[0] == 2,
       "worker schedule, prefetch defaults to worker_count");
    ok(s->worker_schedule.allocations == 0
       && s->worker_schedule.lease_s == TS_POOL_LEASE_DEFAULT_S,
       "worker schedule: allocations computed later, lease 300 s by default");
    ok(s->depends_on.n == 2 && !strcmp(s->depends_on.v[1], "lr=0.1,depth=18"),
       "depends_on");
    is_int(s->close_after_s, 0, "close_after 0s");

    static const char *warnings[] = {
        "t.yaml:7:19: resources.cpus: \"500m\" rounded up to 1 (Slurm "
        "allocates whole CPUs)",
        "t.yaml:7:54: resources.accelerators: \"A100:0.5\" rounded up to 1 "
        "(Slurm allocates whole GPUs)",
        "t.yaml:11:45: env_preparation.timeout: 300 has no unit: taken as "
        "minutes, as Slurm's --time does (write 300s for seconds)",
    };
    is_int((long long)s->warnings.n, 3, "warnings");
    for (size_t i = 0; i < 3 && i < s->warnings.n; i++)
        is_str(s->warnings.v[i], warnings[i], "warning text");
    ts_spec_free(s);
}

static void test_more_warnings(void)
{
    ts_suite *s = parse_ok(
        "resources:\n"
        "  memory: 32+\n"
        "  cpus: 4+\n"
        "  accelerators: {H100: 8}\n"
        "  use_spot: true\n"
        "close_after: 3\n"
        "run: x\n", "SkyPilot-isms");
    if (!s)
        return;
    is_int((long long)s->resources.memory_mb, 32, "unitless memory is MiB");
    is_int(s->resources.cpus, 4, "4+ is 4");
    is_str(s->resources.gpu_type, "h100", "map accelerator type");
    is_int(s->resources.gpu_count, 8, "map accelerator count");
    is_int(s->close_after_s, 180, "bare close_after is minutes");

    static const char *warnings[] = {
        "t.yaml:2:11: resources.memory: \"32+\" has no unit: taken as MiB, as "
        "Slurm's --mem does (SkyPilot means GiB: write 32Gi for that)",
        "t.yaml:2:11: resources.memory: \"32+\" taken as exactly 32",
        "t.yaml:3:9: resources.cpus: \"4+\" taken as exactly 4",
        "t.yaml:5:3: resources.use_spot: ignored: a Slurm cluster has no spot "
        "instances (resume: handles preemption)",
        "t.yaml:6:14: close_after: 3 has no unit: taken as minutes, as "
        "Slurm's --time does (write 3s for seconds)",
    };
    is_int((long long)s->warnings.n, 5, "warnings");
    for (size_t i = 0; i < 5 && i < s->warnings.n; i++)
        is_str(s->warnings.v[i], warnings[i], "warning text");
    ts_spec_free(s);

    s = parse_ok("resources: {accelerators: V100}\nrun: x\n", "type only");
    if (s)
        ok(!strcmp(s->resources.gpu_type, "v100")
           && s->resources.gpu_count == 1, "V100 is one V100");
    ts_spec_free(s);
    s = parse_ok("resources: {accelerators: 2}\nrun: x\n", "count only");
    if (s)
        ok(s->resources.gpu_type == NULL && s->resources.gpu_count == 2,
           "2 is two GPUs of any type");
    ts_spec_free(s);
    s = parse_ok("resume: {signal: SIGUSR1}\nrun: x\n", "signal only");
    if (s)
        ok(s->resume.signal == SIGUSR1 && s->resume.signal_lead_s == 300,
           "signal without lead keeps 300 s");
    ts_spec_free(s);
    s = parse_ok("tasks: []\nmatrix: {}\nrun: x\n", "empty lists");
    if (s)
        ok(s->ntasks == 0 && s->nmatrix == 0, "empty tasks and matrix");
    ts_spec_free(s);
}

/* The %(name) grammar is expand.c's: "%%" is a literal '%'; a malformed
 * "%(" is left for expansion to report. */
static void test_placeholder_grammar(void)
{
    static const char *valid[] = {
        "run: printf '%%(%F)T' 100%% '%%(lr)'\n",
        "run: echo %(a b) %(1x) %( %()\n",
        "matrix: {a: [1]}\nrun: echo %%%(a) %(a)%(a)\n",
        "matrix: {a: [1]}\nsetup: echo %(a)\nrun: '%(a)'\n",
    };

    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        ts_suite *s = parse_ok(valid[i], valid[i]);

        ts_spec_free(s);
    }
    expect_error(strdup("matrix: {a: [1]}\nrun: echo %%%(zz)\n"),
                 "t.yaml:2:6: run: %(zz) is not a matrix axis or a task "
                 "argument", "%% then a placeholder");
}

/* ------------------------------------------------------------ data files */

static ts_suite *load(const char *file)
{
    const char *src = getenv("TS_SRCDIR");
    char path[4096];
    ts_suite *s = NULL;
    ts_err err = { 0 };

    snprintf(path, sizeof path, "%s/tests/unit/data/%s", src ? src : ".",
             file);
    if (!ok(ts_spec_load(path, &s, &err) == 0, "%s loads", file))
        diag("%s", err.msg);
    return s;
}

static void test_full(void)
{
    ts_suite *s = load("full.yaml");

    if (!s)
        return;
    is_str(s->name, "resnet-sweep", "full: name");
    ok(s->labels.n == 2 && !strcmp(s->labels.v[0], "project:resnet"),
       "full: labels");
    ok(s->tags.n == 1 && !strcmp(s->tags.v[0], "gpu"), "full: tags");
    is_str(s->group, "ml-team", "full: group");
    ok(s->slurm.n == 3 && !strcmp(ts_kv_get(&s->slurm, "partition"), "gpu")
       && !strcmp(ts_kv_get(&s->slurm, "time"), "04:00:00")
       && !strcmp(ts_kv_get(&s->slurm, "qos"), "normal"), "full: slurm");
    is_int(s->num_nodes, 1, "full: num_nodes");
    is_int(s->resources.cpus, 4, "full: cpus");
    is_int((long long)s->resources.memory_mb, 16384, "full: memory");
    ok(!strcmp(s->resources.gpu_type, "v100") && s->resources.gpu_count == 1,
       "full: accelerators");
    is_str(ts_kv_get(&s->envs, "DATA_DIR"), "/scratch/$USER/imagenet",
           "full: envs");
    is_str(s->workdir, "~/src/resnet", "full: workdir");
    ok(s->env_preparation.present && s->env_preparation.args.n == 2
       && !strcmp(s->env_preparation.args.v[1], "--download-dataset")
       && s->env_preparation.timeout_s == 300
       && !strcmp(ts_kv_get(&s->env_preparation.envs,
                            "CUDA_VISIBLE_DEVICES"), "0,1"),
       "full: env_preparation");
    ok(s->env_cleanup.present
       && !strcmp(s->env_cleanup.run, "rm -rf \"$TASK_SUITE_SCRATCH\"")
       && s->env_cleanup.timeout_s == 120, "full: env_cleanup");
    is_str(s->setup, "pip install -r requirements.txt", "full: setup");
    is_str(s->run, "python train.py --lr %(lr) --depth %(depth)",
           "full: run (comment stripped)");
    ok(s->nmatrix == 2 && !strcmp(s->matrix[0].name, "lr")
       && s->matrix[0].values.n == 2 && !strcmp(s->matrix[0].values.v[1], "0.01")
       && !strcmp(s->matrix[1].values.v[1], "50"), "full: matrix");
    ok(s->ntasks == 1 && !strcmp(s->tasks[0].name, "baseline")
       && s->tasks[0].priority == 10
       && !strcmp(ts_kv_get(&s->tasks[0].args, "depth"), "50"),
       "full: tasks");
    ok(s->resume.max_retries == 3 && s->resume.retry_on == TS_RETRY_TIMEOUT
       && s->resume.signal == SIGUSR2 && s->resume.signal_lead_s == 300,
       "full: resume");
    ok(s->worker_schedule.present && s->worker_schedule.worker_count == 16
       && s->worker_schedule.ncores == 4 && s->worker_schedule.cores[3] == 3
       && s->worker_schedule.strategy == TS_BIND_ROUND_ROBIN
       && s->worker_schedule.task_prefetch_count == 32
       && s->worker_schedule.suspend_after == 3
       && s->worker_schedule.allocations == 2 && s->worker_schedule.lease_s == 600,
       "full: worker_schedule");
    ok(s->depends_on.n == 1 && !strcmp(s->depends_on.v[0],
                                       "other-suite-or-task"),
       "full: depends_on");
    ok(s->on_complete.present && !strcmp(s->on_complete.run,
                                         "python pick_best.py")
       && s->on_complete.timeout_s == 600, "full: on_complete");
    is_int((long long)s->warnings.n, 0, "full: no warnings");
    ts_spec_free(s);
}

static void test_skypilot(void)
{
    static const struct {
        const char *file, *name;
        int nodes, cpus, gpus;
        unsigned mem;
        size_t warnings;
    } files[] = {
        { "skypilot-task.yaml", "my-training-job", 1, 2, 0, 4096, 1 },
        { "skypilot-multinode.yaml", "distributed-training", 4, 8, 2, 16384,
          1 },
        { "skypilot-gpu.yaml", "gpu-training", 1, 8, 2, 32768, 1 },
        { "skypilot-volumes.yaml", "training-with-data", 1, 4, 0, 16384, 2 },
    };

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        ts_suite *s = load(files[i].file);

        if (!s)
            continue;
        ok(!strcmp(s->name, files[i].name) && s->num_nodes == files[i].nodes
           && s->resources.cpus == files[i].cpus
           && s->resources.gpu_count == files[i].gpus
           && s->resources.memory_mb == files[i].mem
           && s->nmatrix == 0 && s->ntasks == 0,
           "%s: a plain SkyPilot file is a suite of one task", files[i].file);
        is_int((long long)s->warnings.n, (long long)files[i].warnings,
               files[i].file);
        ok(s->warnings.n > 0 && strstr(s->warnings.v[0], "resources.image_id: ")
           && strstr(s->warnings.v[0], "not in a container"),
           "%s: image_id is warned about", files[i].file);
        ts_spec_free(s);
    }

    ts_suite *s = load("skypilot-task.yaml");
    if (s) {
        is_str(s->setup, "pip install numpy pandas\n", "seed setup");
        is_str(s->resources.image_id, "python:3.11-slim", "image_id kept");
        ok(strstr(s->warnings.v[0], "skypilot-task.yaml:8:13: "
                  "resources.image_id: \"python:3.11-slim\" is not used")
           != NULL, "image_id warning names file, line and key");
        ts_spec_free(s);
    }
    s = load("skypilot-volumes.yaml");
    if (s) {
        is_str(ts_kv_get(&s->volumes, "/output"), "model-checkpoints",
               "volumes kept");
        ts_spec_free(s);
    }
    s = load("skypilot-cloud.yaml");
    if (s) {
        static const char *keys[] = {
            "resources.cloud:", "resources.region:", "resources.zone:",
            "resources.instance_type:", "resources.use_spot:",
            "resources.disk_size:", "resources.ports:", "file_mounts:",
        };

        is_int((long long)s->warnings.n, 8, "cloud keys: one warning each");
        for (size_t i = 0; i < 8 && i < s->warnings.n; i++)
            ok(strstr(s->warnings.v[i], keys[i]) != NULL, "warning names %s",
               keys[i]);
        ok(!strcmp(s->resources.gpu_type, "v100")
           && s->resources.gpu_count == 1, "map-form accelerators");
        ts_spec_free(s);
    }
}

static void test_extensions_and_anchors(void)
{
    ts_suite *s = load("extensions.yaml");

    if (s) {
        is_int((long long)s->warnings.n, 0, "x- keys: no warnings");
        ok(s->envs.n == 1 && s->nmatrix == 1 && s->ntasks == 1
           && s->tasks[0].args.n == 1 && s->resources.cpus == 2
           && s->worker_schedule.strategy == TS_BIND_SHARED
           && s->resume.max_retries == 0 && s->env_preparation.present,
           "x- keys are skipped everywhere");
        ts_spec_free(s);
    }
    s = load("anchors.yaml");
    if (s) {
        ok(s->envs.n == 2 && s->env_preparation.envs.n == 2
           && !strcmp(ts_kv_get(&s->env_preparation.envs, "OMP_NUM_THREADS"),
                      "4"), "an aliased map is read at each use");
        ts_spec_free(s);
    }
}

static void test_load_errors(void)
{
    ts_suite *s = NULL;
    ts_err err = { 0 };

    ok(ts_spec_load("/nonexistent/s.yaml", &s, &err) == -1 && !s,
       "missing file");
    is_str(err.msg, "/nonexistent/s.yaml: cannot open: No such file or "
           "directory", "missing file message");
    ok(ts_spec_load("/", &s, &err) == -1 && !s, "a directory");
    is_str(err.msg, "/: not a regular file", "directory message");
    ts_spec_free(NULL);   /* a no-op: nothing to check but that it returns */
}

/* A %(name) inside shell quotes: valid, with one warning at the
 * placeholder itself; outside quotes, in $(...) or in a comment: none. */
static void test_quoted_placeholders(void)
{
    static const struct {
        const char *run, *warning;
    } cases[] = {
        { "echo \"file=%(f)\"",
          "t.yaml:1:17: run: %(f) inside double quotes: it is inserted as "
          "\"$TASK_SUITE_ARG_F\" with its own quotes, which end yours, so a "
          "value with a space or * splits into words; write %(f) outside quotes" },
        { "|\n  echo ok\n  echo 'v=%(f)'",
          "t.yaml:3:11: run: %(f) inside single quotes: this shell passes "
          "\"$TASK_SUITE_ARG_F\" on as text (only an inner shell, as in bash "
          "-c '...', expands it); write %(f) outside quotes" },
        { "echo \"$(cat '%(f)')\"", "t.yaml:1:19: run: %(f) inside single quotes" },
        { "echo file=%(f)", NULL },
        { "echo \"x$(echo %(f))\" %(f)", NULL },
        { "echo \"%%(f)\" %(f) # \"%(f)\"", NULL },
        { "echo \\\"%(f)", NULL },
        { "echo `echo %(f)`", NULL },
        { "|\n  cat <<EOF > c.json\n  {\"f\": %(f)}\n  EOF",
          "t.yaml:3:9: run: %(f) in a here-document: it is inserted as "
          "\"$TASK_SUITE_ARG_F\", and there its quotes stay in the text" },
        { "|\n  cat <<-'EOF'\n  \tv=%(f)\n  \tEOF", "t.yaml:3:6: run: %(f) in a "
          "here-document with a quoted delimiter" },
        { "|\n  cat <<EOF\n  x\n  EOF\n  echo %(f)", NULL },
        { "|\n  echo $((1<<2))\n  echo %(f)", NULL },
        { "|\n  cat <<<%(f)\n  echo %(f)", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[256];
        ts_suite *s = NULL;
        ts_err err = { 0 };
        snprintf(yaml, sizeof yaml, "run: %s\nmatrix:\n  f: [\"a b\"]\n",
                 cases[i].run);
        int rc = ts_spec_parse("t.yaml", yaml, strlen(yaml), &s, &err);
        ok(rc == 0, "quoted[%zu] is valid", i);
        if (rc < 0) {
            diag("%s", err.msg);
            continue;
        }
        ok(s->warnings.n == (cases[i].warning ? 1u : 0u),
           "quoted[%zu]: %s warning", i, cases[i].warning ? "one" : "no");
        if (cases[i].warning && s->warnings.n)
            ok(strncmp(s->warnings.v[0], cases[i].warning,
                       strlen(cases[i].warning)) == 0,
               "quoted[%zu]: the warning and its line:col", i);
        if (s->warnings.n)
            diag("%s", s->warnings.v[0]);
        ts_spec_free(s);
    }
}

int main(void)
{
    test_invalid();
    test_quoted_placeholders();
    test_limits();
    test_defaults();
    test_signal_lead_clamp();
    test_default_names();
    test_values();
    test_more_warnings();
    test_placeholder_grammar();
    test_full();
    test_skypilot();
    test_extensions_and_anchors();
    test_load_errors();
    return done_testing();
}
