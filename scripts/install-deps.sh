#!/usr/bin/env bash
# install-deps.sh — install the Debian 12 packages txetl needs to build, test
# and benchmark. Idempotent: checks with dpkg-query first, runs `apt-get update`
# once only when something is missing, prints nothing when all is present.
#
#   scripts/install-deps.sh            install what is missing
#   scripts/install-deps.sh --check    only report what is missing (exit 1 if any)
#
# Build and test packages are required (failure = exit 1). Optional packages
# (report screenshots, bench plots) are attempted; if they cannot be installed
# a warning is printed and the script still succeeds.
# Python helpers must be run with /usr/bin/python3 (Debian's, which sees these
# python3-* packages), never a `python3` found first on PATH (e.g. pyenv).
set -euo pipefail

REQUIRED=(
  # build
  cmake gcc make pkg-config
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libcsv-dev
  default-libmysqlclient-dev
  mariadb-server mariadb-client
  mariadb-plugin-spider   # the router of docs/serving.md (scripts/shards.sh --router, txetl router)
  # tests / bench helpers (run with /usr/bin/python3)
  python3 python3-numpy python3-scipy python3-h5py python3-pandas python3-mysqldb
  # reliability passes of scripts/test.sh: libFuzzer (clang + its runtime), memcheck, TLS certs
  clang libclang-rt-14-dev valgrind openssl
  # tests/cluster.cmake: network namespaces (ip netns), unshare (util-linux), bc
  iproute2 util-linux bc
)
OPTIONAL=(
  chromium      # headless screenshots of report.html
  gnuplot-nox   # bench plots
  # Slurm tests (slurm_test, cluster_slurm_2node; they skip without them):
  # slurm-wlm + munge, libpmix-dev for srun --mpi=pmix (scripts/slurm-local.sh also installs them)
  slurm-wlm munge libpmix-dev
)

check_only=0
case ${1:-} in
  "") ;;
  --check) check_only=1 ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  *) echo "install-deps.sh: unknown option '$1'" >&2; exit 2 ;;
esac

# Installed and configured ("install ok installed"); "unpacked"/"half-configured"
# count as missing so apt-get finishes them.
is_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing_req=() missing_opt=()
for p in "${REQUIRED[@]}"; do is_installed "$p" || missing_req+=("$p"); done
for p in "${OPTIONAL[@]}"; do is_installed "$p" || missing_opt+=("$p"); done

if ((${#missing_req[@]} + ${#missing_opt[@]} == 0)); then exit 0; fi

if ((check_only)); then
  ((${#missing_req[@]})) && echo "missing (required): ${missing_req[*]}"
  ((${#missing_opt[@]})) && echo "missing (optional): ${missing_opt[*]}"
  exit 1
fi

SUDO=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps.sh: not root and no sudo; install: ${missing_req[*]} ${missing_opt[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0)

echo "install-deps.sh: installing: ${missing_req[*]}${missing_req[*]:+ }${missing_opt[*]}"
"${APT[@]}" update -qq >/dev/null || echo "install-deps.sh: warning: apt-get update reported errors" >&2

# A package apt does not know (renamed, wrong release) is reported by name.
has_candidate() {
  local c
  c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [[ -n $c && $c != "(none)" ]]
}
unknown=()
for p in "${missing_req[@]}"; do has_candidate "$p" || unknown+=("$p"); done
if ((${#unknown[@]})); then
  echo "install-deps.sh: error: no installable candidate for: ${unknown[*]}" >&2
  exit 1
fi
opt_ok=()
for p in "${missing_opt[@]}"; do
  if has_candidate "$p"; then opt_ok+=("$p"); else echo "install-deps.sh: warning: optional package $p not available; skipped" >&2; fi
done

log=$(mktemp /tmp/install-deps.XXXXXX.log)
install() { "${APT[@]}" install --no-install-recommends "$@" >>"$log" 2>&1; }

if ((${#missing_req[@]})); then
  if ! install "${missing_req[@]}"; then
    echo "install-deps.sh: error: apt-get install failed for: ${missing_req[*]}" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
fi
# Optional ones one by one, so one failure does not block the others.
keep_log=0
for p in "${opt_ok[@]}"; do
  if ! install "$p"; then
    keep_log=1
    echo "install-deps.sh: warning: could not install optional package $p (see $log)" >&2
  fi
done

still=()
for p in "${REQUIRED[@]}"; do is_installed "$p" || still+=("$p"); done
if ((${#still[@]})); then
  echo "install-deps.sh: error: still not installed: ${still[*]} (log: $log)" >&2
  exit 1
fi
((keep_log)) || rm -f "$log"
echo "install-deps.sh: done"
