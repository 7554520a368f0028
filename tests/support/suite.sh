# Shell functions the suites that drive a real `stepd serve` share
# (tests/clients/run, tests/console/run, bench/console-page). Source it.

# npm_ci_cached SRC_DIR CACHE_DIR LABEL
# Installs the packages pinned in SRC_DIR/package-lock.json into CACHE_DIR,
# once per lock file (a stamp of package.json and the lock), never into the
# source tree; several runs at once wait for each other. Non-zero when npm
# ci fails.
npm_ci_cached() {
  local src="$1" cache="$2" label="$3" stamp
  mkdir -p "$cache" || return 1
  stamp="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  (
    flock 9
    if [[ "$(cat "$cache/.stamp" 2>/dev/null)" != "$stamp" || ! -d "$cache/node_modules" ]]; then
      echo "$label: npm ci into $cache" >&2
      cp "$src/package.json" "$src/package-lock.json" "$cache/"
      rm -f "$cache/.stamp"
      (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2 || exit 1
      echo "$stamp" >"$cache/.stamp"
    fi
  ) 9>"$cache/.lock"
}

# stop_stepd_checked PID LABEL
# The server must have survived the run and must stop cleanly on SIGTERM
# within 20 s, exiting 0 (under the sanitizers a memory error or leak makes
# it non-zero). Says what went wrong and returns 1, else 0.
stop_stepd_checked() {
  local pid="$1" label="$2" status
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "$label: stepd serve died during the run" >&2
    return 1
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$label: stepd serve did not stop within 20 s of SIGTERM" >&2
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
  fi
  wait "$pid"
  status=$?
  if ((status != 0)); then
    echo "$label: stepd serve exited $status after SIGTERM (expected 0)" >&2
    return 1
  fi
  return 0
}
