#!/usr/bin/env bash
# A one-node Slurm cluster inside the test environment, for the slurm test tier
# (tests/slurm/) and to try `sleepcl submit` on a machine without a cluster (docs/CLUSTER.md).
#
#   tools/slurm_cluster.sh start DIR   # munged, slurmctld, slurmd; prints the export line
#   tools/slurm_cluster.sh stop DIR    # stops exactly the daemons `start` started, by pid
#
# Everything lives under DIR: a munge key generated there, munged's socket, a slurm.conf
# written for this host's name, cores and memory, state, spool and log directories, and the
# daemons' pid files. Nothing under /etc is touched and no systemd is needed; the daemons run
# in the foreground under this script's control. Client commands find the cluster through
# SLURM_CONF=DIR/slurm.conf (printed by start). slurmd must run as root to start jobs. The
# packages come from `tools/setup.sh --slurm`. Ports: SCL_SLURM_PORT (slurmctld) and the
# next one (slurmd), default 6817.
set -euo pipefail

die() { echo "slurm_cluster: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 start|stop DIR"
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
port=${SCL_SLURM_PORT:-6817}

# pid files of the daemons this script started: DIR/pids/NAME
started() { [ -f "$dir/pids/$1" ] && kill -0 "$(cat "$dir/pids/$1")" 2>/dev/null; }

stop_one() {
    local name=$1 f="$dir/pids/$1" pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
    echo "slurm_cluster: stopped $name (pid $pid)"
}

stop() {
    # reverse order of start: the node, the controller, then the authentication they use
    stop_one slurmd
    stop_one slurmctld
    stop_one munged
}

# Start a daemon in the foreground, in the background of this shell; record its pid.
launch() {
    local name=$1; shift
    "$@" >"$dir/log/$name.out" 2>&1 &
    echo $! >"$dir/pids/$name"
}

write_conf() {
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc --all)
    mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    cat >"$dir/slurm.conf.tmp" <<EOF
# Written by tools/slurm_cluster.sh for a one-node test cluster under $dir
ClusterName=sleepcl
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    mv "$dir/slurm.conf.tmp" "$dir/slurm.conf"
}

start() {
    for b in munged mungekey slurmctld slurmd sbatch sinfo; do
        command -v "$b" >/dev/null || die "$b not found: run 'tools/setup.sh --slurm'"
    done
    [ "$(id -u)" -eq 0 ] || die "slurmd must run as root to start jobs (this is uid $(id -u))"
    started slurmctld && die "a cluster already runs from $dir (stop it first)"
    mkdir -p "$dir"/{munge,state,spool,log,run,pids}
    chmod 0700 "$dir/munge"
    [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
    chmod 0600 "$dir/munge/munge.key"
    launch munged munged --foreground --force --key-file="$dir/munge/munge.key" \
        --socket="$dir/munge/munge.socket" --pid-file="$dir/run/munged.pid" \
        --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
    for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
    [ -S "$dir/munge/munge.socket" ] || { stop; die "munged did not start (see $dir/log/munged.*)"; }
    write_conf
    launch slurmctld slurmctld -D -c -i -f "$dir/slurm.conf"
    launch slurmd slurmd -D -f "$dir/slurm.conf"
    export SLURM_CONF=$dir/slurm.conf
    # ready when the node takes jobs
    local state=""
    for _ in $(seq 300); do
        started slurmctld || { stop; die "slurmctld exited (see $dir/log/slurmctld.*)"; }
        started slurmd || { stop; die "slurmd exited (see $dir/log/slurmd.*)"; }
        state=$(sinfo -h -o %t 2>/dev/null | head -1 || true)
        case $state in idle* | mix* | alloc*) break ;; esac
        sleep 0.2
    done
    case $state in
    idle* | mix* | alloc*) ;;
    *) stop; die "the node never came up (state '$state'; see $dir/log/)" ;;
    esac
    echo "slurm_cluster: up ($(sinfo -h -o '%D node, %c CPUs, partition %P' | head -1))"
    echo "export SLURM_CONF=$dir/slurm.conf"
}

case $cmd in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop DIR" ;;
esac
