#!/usr/bin/env bash
# t0195-admin-quickstart: the README's "Admin quick start", followed the way
# a new admin would, against the INSTALLED Debian packages (tests/run-all's
# packaged leg: TS_PREFIX=/usr). The block is read from README.md, so the
# README cannot drift from what works:
#   1. install       - the packages named there are the ones installed, of
#                      the version debian/changelog builds;
#   2. plugstack     - its sed command, run on a copy of the installed
#                      /etc/slurm/plugstack.conf.d/tasksuite.conf, leaves
#                      exactly one enabled line, naming the installed plugin;
#   3. restart       - a private one-node cluster (own dir and ports, the
#                      test cluster's options) whose plugstack.conf is that
#                      line; the system's slurmd and /etc are never touched;
#   4. verify        - the remaining commands, run verbatim as the test user:
#                      --task-suite in sbatch --help, the check suite
#                      completes, its task shows the preparation's output.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
snippet=/etc/slurm/plugstack.conf.d/tasksuite.conf
if [ "$TS_PREFIX" != /usr ] || ! dpkg-query -W -f='${Status}' slurm-spank-tasksuite 2>/dev/null | grep -q 'install ok installed'; then
    echo "ok 1 # skip the quick start is for the installed packages (TS_PREFIX=$TS_PREFIX; tests/run-all with TS_PACKAGES=1)"
    echo "1..1"
    exit 0
fi

D=$TS_CLUSTER_DIR-quickstart
PORT=${TS_QUICKSTART_PORT_BASE:-$((TS_PORT_BASE + 3400))}
W=$(mk_workdir)
trap '"$CL" stop --dir "$D" >/dev/null 2>&1; rm -rf "$D" "$W"' EXIT

block=$(awk '/^<!-- admin-quick-start/ { on = 1; next }
             on && /^```sh$/ { inside = 1; next }
             inside && /^```$/ { exit }
             inside { print }' "$SRC/README.md")
ok "$([ -n "$block" ]; echo $?)" "README.md has the admin quick start block"
step() {   # step N: the lines after "# N." up to the next "# M." comment
    printf '%s\n' "$block" | awk -v n="$1" '/^# [0-9]+\./ { on = ($2 == n ".") ; next } on'
}

# 1. install
install=$(step 1)
version=$(sed -n '1s/^tasksuite (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
arch=$(dpkg --print-architecture)
like "$install" "^apt-get install \\./tasksuite_${version}_${arch}\\.deb \\./slurm-spank-tasksuite_${version}_${arch}\\.deb$" \
    "step 1 installs the two packages this tree builds ($version)"
for p in tasksuite slurm-spank-tasksuite; do
    is "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null)" "$version" "$p $version is installed"
done

# 2. the plugstack line
enable=$(step 2)
like "$enable" "$snippet" "step 2 edits the package's $snippet"
cp "$snippet" "$W/tasksuite.conf"
(cd "$W" && eval "${enable//$snippet/$W/tasksuite.conf}")
ok $? "step 2's command runs"
lines=$(grep -Ev '^[[:space:]]*(#|$)' "$W/tasksuite.conf")
is "$(printf '%s\n' "$lines" | grep -c .)" 1 "exactly one line is enabled"
read -r req plugin args <<<"$lines"
is "$req" required "it is a 'required' line"
is "$plugin" "$TS_PLUGIN_DIR/tasksuite.so" "it names the installed tasksuite.so"
ok "$([ -r "$plugin" ]; echo $?)" "the plugin file exists"

# 3. restart slurmd: a private cluster whose plugstack.conf is that line
like "$(step 3)" 'restart slurmd' "step 3 restarts slurmd"
. "$(dirname "$0")/hooks-cases.sh"
state=$(cluster_state_dir "$SLURM_CONF")-quickstart
"$CL" stop --dir "$D" >/dev/null 2>&1; rm -rf "$D"
conf=$("$CL" start --dir "$D" --port-base "$PORT" --nodes 1 --contain yes --plugin "$plugin" \
        --plugin-args "$args state_dir=$state" 2>"$W/start.log" | tail -1)
ok $? "slurmd starts with the line ($args)"
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" \
    'tasksuite: version [0-9.]+ loaded \(.*\), built for Slurm [0-9.]+$' "slurmd's log: the plugin's version line"

# 4. verify, verbatim, as the user
verify=$(step 4)
SLURM_CONF=${conf#SLURM_CONF=}
t0=$(date +%s)
out=$(as_user "$W" env TASKSUITE_HOME="$W/.tshome" bash -c "$verify" 2>&1)
rc=$?
diag "step 4 took $(( $(date +%s) - t0 )) s"
is "$rc" 0 "step 4's commands all succeed"
like "$out" '--task-suite' "sbatch --help shows --task-suite"
like "$out" '1/1 done \(100\.0%\)' "the check suite completes"
like "$out" 'prepared by tasksuite\.so' "its task shows the env_preparation output (the plugin ran it on the node)"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -15 | sed 's/^/# /'

done_testing
