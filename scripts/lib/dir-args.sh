# scripts/lib/dir-args.sh - sourced by scripts/shards.sh and scripts/slurm-local.sh: the
# arguments of a command that takes one DIR. Uses the caller's usage, usage_die, abspath and
# PROG.

# dir_args CMD SYNOPSIS ARG...: sets the caller's dir (absolute) and, for down, wipe (--wipe);
# anything else is a usage error naming CMD.
dir_args() {
  local cmd=$1 synopsis=$2
  shift 2
  dir="" wipe=0
  while (($#)); do
    case $1 in
      --wipe) [[ $cmd == down ]] || usage_die "$cmd: unknown option '$1'"; wipe=1; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) usage_die "$cmd: unknown option '$1'" ;;
      *) [[ -z $dir ]] || usage_die "$cmd: too many arguments"; dir=$1; shift ;;
    esac
  done
  [[ -n $dir ]] || usage_die "usage: $PROG $synopsis"
  dir=$(abspath "$dir")
}
