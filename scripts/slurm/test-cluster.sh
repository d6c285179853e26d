#!/usr/bin/env bash
# A real single-node Slurm cluster in a private directory, for tests and for
# trying job arrays on one machine.
#
#   scripts/slurm/test-cluster.sh start DIR    start munged, slurmctld and slurmd; wait for the node
#   scripts/slurm/test-cluster.sh stop DIR     cancel its jobs, stop the three daemons
#   scripts/slurm/test-cluster.sh status DIR   say what runs (exit 0 all three, 3 otherwise)
#
# Clients talk to the cluster with SLURM_CONF=DIR/slurm.conf (sbatch, squeue, sinfo...).
#
# Everything lives under DIR (created if missing, made mode 0711 because munged
# wants every directory above its socket searchable by all):
#   DIR/munge/      munge.key (fresh, 0600), munged's socket, PID, log and seed files
#   DIR/slurm.conf  generated: this host's name, CPUs and memory from `slurmd -C`,
#                   SlurmctldHost and NodeAddr 127.0.0.1, two free TCP ports,
#                   no accounting database, one partition "debug"
#   DIR/state/      slurmctld's StateSaveLocation     DIR/spool/  slurmd's SlurmdSpoolDir
#   DIR/run/        slurmctld.pid, slurmd.pid          DIR/log/    both daemons' logs
# Nothing outside DIR is written or read as configuration: the daemons get
# -f DIR/slurm.conf, munged gets its paths on its command line, and the system's
# /etc/slurm and /etc/munge stay as they are. `stop` removes nothing; the
# caller removes DIR.
#
# Root only: both Slurm daemons run as root (SlurmUser=SlurmdUser=root), with
# process tracking by /proc (proctrack/linuxproc), no task or cgroup plugins
# and no accounting, so that it runs in a container or VM without systemd or a
# delegated cgroup tree. The daemons bind 127.0.0.1 only
# (CommunicationParameters=NoCtldInAddrAny,NoInAddrAny).
#
# Synchronisation is by polling a condition, never by sleeping a fixed time:
# start waits until `sinfo` reports the node idle and `sdiag` a first cycle of
# the scheduler, stop until each PID has exited. COINFER_SLURM_TIMEOUT (seconds, default 60) bounds every wait; on
# timeout the script says what it waited for and shows the daemons' logs.
# Processes are signalled only through the PID files under DIR, after checking
# that the PID's command line names DIR.
#
# Exit codes: 0 done, 1 failure (what and why on stderr), 2 usage error,
# 3 (status only) not everything runs.
set -u

TIMEOUT=${COINFER_SLURM_TIMEOUT:-60}
PROG=${0##*/}

usage() {
    echo "usage: $PROG start|stop|status DIR" >&2
    exit 2
}
die() {
    echo "$PROG: $*" >&2
    exit 1
}

[ $# -eq 2 ] || usage
cmd=$1
case "$cmd" in start|stop|status) ;; *) usage ;; esac
case "$TIMEOUT" in '' | *[!0-9]*) echo "$PROG: COINFER_SLURM_TIMEOUT must be whole seconds, not '$TIMEOUT'" >&2; exit 2 ;; esac
[ -n "$2" ] || usage
if [ "$cmd" = start ]; then
    mkdir -p -- "$2" || die "cannot create directory '$2'"
fi
[ -d "$2" ] || die "'$2' is not a directory"
DIR=$(cd -- "$2" && pwd -P) || die "cannot enter '$2'"

CONF=$DIR/slurm.conf
MUNGE_SOCKET=$DIR/munge/munge.socket.2
export SLURM_CONF=$CONF

# daemon NAME -> its PID file, and the string its command line must contain.
pid_file() {
    case "$1" in
        munged) echo "$DIR/munge/munged.pid" ;;
        *) echo "$DIR/run/$1.pid" ;;
    esac
}
own_arg() {
    case "$1" in
        munged) echo "--socket=$MUNGE_SOCKET" ;;
        *) echo "$CONF" ;;
    esac
}

# live_pid NAME: print the PID of DIR's NAME daemon if it runs, else nothing.
# A PID file whose process is gone, or now belongs to another program, is stale.
live_pid() {
    local f pid cmdline
    f=$(pid_file "$1")
    [ -r "$f" ] || return 0
    pid=$(tr -dc 0-9 <"$f")
    [ -n "$pid" ] || return 0
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 0
    case "$cmdline" in
        *"$1"*"$(own_arg "$1")"*) echo "$pid" ;;
    esac
}

# wait_for DESC CMD...: poll CMD every 0.1 s until it returns 0. CMD returning 1
# means "not yet"; 2 or more gives up at once with that status. 1 after $TIMEOUT s.
wait_for() {
    local desc=$1 deadline rc
    shift
    deadline=$((SECONDS + TIMEOUT))
    while :; do
        "$@"
        rc=$?
        [ $rc -eq 0 ] && return 0
        [ $rc -ge 2 ] && return $rc
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$PROG: timed out after ${TIMEOUT} s waiting for $desc" >&2
            return 1
        fi
        sleep 0.1
    done
}

show_logs() {
    local f
    for f in "$DIR/munge/munged.log" "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
        [ -s "$f" ] || continue
        echo "--- last lines of $f:" >&2
        tail -n 15 "$f" >&2
    done
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_daemons NAME...: TERM each daemon of its PID file, wait for them all,
# KILL one that hangs. Each takes about 2 s to shut down, so they go together.
stop_daemons() {
    local d pid rc=0
    local -A pids=()
    for d in "$@"; do
        pid=$(live_pid "$d")
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids[$d]=$pid
    done
    for d in "${!pids[@]}"; do
        pid=${pids[$d]}
        if ! wait_for "$d (PID $pid) to exit after SIGTERM" gone "$pid"; then
            echo "$PROG: sending SIGKILL to $d (PID $pid)" >&2
            kill -KILL "$pid" 2>/dev/null
            wait_for "$d (PID $pid) to exit after SIGKILL" gone "$pid" || { rc=1; continue; }
        fi
        echo "stopped $d (PID $pid)"
    done
    return $rc
}

no_jobs() { [ -z "$(squeue -h -o %i 2>/dev/null)" ]; }

cluster_stop() {
    local ids rc=0
    if [ -n "$(live_pid slurmctld)" ]; then
        ids=$(squeue -h -o %i 2>/dev/null)
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            scancel $ids 2>/dev/null
            wait_for "the cluster's jobs to end after scancel" no_jobs || rc=1
        fi
    fi
    # munged last: the Slurm daemons may still authenticate messages as they stop.
    stop_daemons slurmd slurmctld || rc=1
    stop_daemons munged || rc=1
    return $rc
}

cluster_status() {
    local d pid all=0
    for d in munged slurmctld slurmd; do
        pid=$(live_pid "$d")
        if [ -n "$pid" ]; then
            echo "$d: running (PID $pid)"
        else
            echo "$d: not running"
            all=3
        fi
    done
    if [ -n "$(live_pid slurmctld)" ]; then
        sinfo -N -o '%N %T %c %m %P' 2>&1
    fi
    return $all
}

# ---- start -------------------------------------------------------------------------

need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 ||
            die "'$c' not found: install the scale-out packages (scripts/install-deps.sh --scaleout)"
    done
}

# free_port EXCEPT: a TCP port nobody listens on, from the range 20000-59999.
free_port() {
    local p _
    for _ in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        [ "$p" = "$1" ] && continue
        if [ -z "$(ss -Hltn "sport = :$p")" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Every directory above DIR must be searchable by all, or munged refuses its socket.
check_ancestors() {
    local d=$DIR mode
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        mode=$(stat -c %A "$d")
        [ "${mode:9:1}" = x ] || [ "${mode:9:1}" = t ] ||
            die "munged needs every directory above its socket searchable by all, and '$d' is $mode (use a DIR under /tmp, or chmod o+x '$d')"
    done
}

write_conf() {
    local node ctld_port slurmd_port host
    node=$(slurmd -C 2>/dev/null | grep '^NodeName=') || die "'slurmd -C' did not describe this host"
    host=$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$node")
    ctld_port=$(free_port 0) || die "no free TCP port found for slurmctld"
    slurmd_port=$(free_port "$ctld_port") || die "no free TCP port found for slurmd"
    : >"$DIR/plugstack.conf"
    cat >"$CONF" <<EOF
# Generated by scripts/slurm/test-cluster.sh: a single-node test cluster in $DIR.
ClusterName=coinfer-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
PlugStackConfig=$DIR/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# Schedule batch jobs at the next tick of slurmctld's 1 s loop: the default
# (up to 3 s) puts a short 4-task array on 2 CPUs past the first poll of
# sbatch --wait (2 s; the next is 8 s later).
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    NODE=$host
}

munge_works() {
    munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1 && return 0
    [ -n "$(live_pid munged)" ] || [ ! -e "$DIR/munge/munged.pid" ] || { echo "$PROG: munged died" >&2; return 2; }
    return 1
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null; }

# node_idle: 0 once the node is idle, 1 not yet, 2 when a daemon has died: it
# ran (SEEN[name]) and is gone, or it is not running and logged a fatal error.
declare -A SEEN=([slurmctld]=0 [slurmd]=0)
node_idle() {
    local d
    for d in slurmctld slurmd; do
        if [ -n "$(live_pid "$d")" ]; then
            SEEN[$d]=1
        elif [ "${SEEN[$d]}" -eq 1 ] || grep -qs 'fatal:' "$DIR/log/$d.log"; then
            echo "$PROG: $d died during start-up" >&2
            return 2
        fi
    done
    [ "$(node_state)" = idle ] && sched_ran
}

# sched_ran: slurmctld's main scheduler has run a cycle. It first runs about
# 3 s after start-up, and a job submitted before then waits for it.
sched_ran() {
    sdiag 2>/dev/null | sed -n '/^Main schedule/,/^$/p' | grep -qE 'Total cycles: *[1-9]'
}

cluster_start() {
    local d rc
    [ "$(id -u)" -eq 0 ] || die "the test cluster runs its daemons as root; run as root"
    need munged mungekey munge unmunge slurmctld slurmd sinfo sdiag squeue scancel ss
    for d in munged slurmctld slurmd; do
        [ -z "$(live_pid "$d")" ] || die "$d already runs for $DIR (PID $(live_pid "$d")); stop it first"
    done
    [ ${#MUNGE_SOCKET} -lt 100 ] || die "'$DIR' is too long a path for munged's socket (at most about 75 characters)"
    chmod 0711 "$DIR" || die "cannot chmod '$DIR'"
    check_ancestors
    mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/run" "$DIR/log" || die "cannot populate '$DIR'"
    for d in munge/munged log/slurmctld log/slurmd; do
        [ -e "$DIR/$d.log" ] && mv -f "$DIR/$d.log" "$DIR/$d.log.old"
    done
    rm -f "$DIR/munge/munge.key"
    mungekey -c -k "$DIR/munge/munge.key" || die "mungekey could not create $DIR/munge/munge.key"
    chmod 0600 "$DIR/munge/munge.key"
    write_conf

    munged --socket="$MUNGE_SOCKET" --key-file="$DIR/munge/munge.key" \
        --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
        --seed-file="$DIR/munge/munged.seed" ||
        { show_logs; die "munged did not start"; }
    wait_for "munged to answer on $MUNGE_SOCKET" munge_works || { show_logs; cluster_stop >&2; exit 1; }

    slurmctld -f "$CONF" || { show_logs; cluster_stop >&2; die "slurmctld did not start"; }
    slurmd -f "$CONF" || { show_logs; cluster_stop >&2; die "slurmd did not start"; }
    wait_for "node $NODE to be idle in sinfo and the scheduler to run" node_idle
    rc=$?
    if [ $rc -ne 0 ]; then
        [ $rc -eq 1 ] && echo "$PROG: sinfo says node $NODE is '$(node_state)'" >&2
        show_logs
        cluster_stop >&2
        exit 1
    fi
    echo "slurm test cluster up in $DIR: node $NODE idle" \
        "($(sinfo -h -n "$NODE" -o '%c CPUs, %m MB')); use SLURM_CONF=$CONF"
}

case "$cmd" in
    start) cluster_start ;;
    stop) cluster_stop || exit 1 ;;
    status) cluster_status; exit $? ;;
esac
