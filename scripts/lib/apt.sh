# Sourced by the set-up scripts. apt_get ARGS... runs apt-get as root (through sudo when needed)
# and, when another apt-get or unattended-upgrades holds Debian's package lock, waits for it (up to
# 10 minutes) instead of failing at once. Its output is shown only when it fails.
apt_get() {
  local sudo="" waited=0 log
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log=$(mktemp)
  while true; do
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=30 -qq "$@" >"$log" 2>&1; then
      rm -f "$log"
      return 0
    fi
    if grep -qE "Could not get lock|Unable to lock|Unable to acquire|is held by process|another process using it" "$log" && [ "$waited" -lt 600 ]; then
      [ "$waited" -eq 0 ] && echo "Waiting for another apt-get to release Debian's package lock..." >&2
      sleep 5
      waited=$((waited + 5))
      continue
    fi
    cat "$log" >&2
    rm -f "$log"
    return 1
  done
}
