#!/usr/bin/env bash
# Run a command against a real, unlocked Secret Service on a headless Linux machine.
#
#   bash .ci/with-keyring.sh CMD [ARGS...]
#
# 1. Installs gnome-keyring, secret-tool (libsecret-tools) and dbus (dbus-x11, dbus) with
#    apt-get when they are missing (CI starts on a clean machine, as root; sudo otherwise).
# 2. Starts a private D-Bus session with dbus-run-session (torn down with everything in it when
#    CMD ends; needs no X11).
# 3. Starts gnome-keyring-daemon (secrets component) in that session, with its keyring files in
#    a fresh temporary directory, and creates+unlocks a new `login` keyring with a random
#    password (fed with printf: a trailing newline would become part of the password).
# 4. Waits (bounded) until the daemon owns the Secret Service name (asking the bus, which
#    activates nothing), then until it really stores and returns an item; retried with a new
#    daemon up to three times.
# 5. Runs CMD with AIGATE_TEST_KEYRING=1 and the caller's XDG_DATA_HOME, and exits with its status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash .ci/with-keyring.sh CMD [ARGS...]" >&2
  exit 2
fi

log() { printf 'with-keyring: %s\n' "$*" >&2; }

# --- inside the D-Bus session ------------------------------------------------------------------
if [ "${AIGATE_WITH_KEYRING_STAGE:-}" = "session" ]; then
  unset AIGATE_WITH_KEYRING_STAGE
  # The daemon (and any copy D-Bus activates) uses the fresh XDG_DATA_HOME set by the outer
  # stage; the command gets the caller's value back.
  # Under load the daemon can miss its unlock and then ask a (display-less) prompter to create
  # the `login` keyring, failing every store: stop that daemon (ours only, by its pid: never
  # `--replace`, which can take another session's daemon on a shared machine) and start a new
  # one with fresh keyring files (up to three tries). It runs in the background of this stage
  # and is stopped when the stage ends.
  base="$XDG_DATA_HOME"
  ready=
  daemon=
  trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null' EXIT
  for attempt in 1 2 3; do
    export XDG_DATA_HOME="$base/try$attempt"
    mkdir -p "$XDG_DATA_HOME"
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s' "$password" \
      | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
    daemon=$!
    unset password

    # The daemon takes a moment to own org.freedesktop.secrets. Wait for the name first,
    # asking the bus without activating anything: a client call before that would make D-Bus
    # start a second daemon of its own (the service file's, with no unlock), which then asks a
    # display-less prompter for a `login` keyring and fails every store (seen under load).
    for _ in $(seq 1 100); do
      if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
           org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
           | grep -q 'boolean true'; then
        break
      fi
      sleep 0.1
    done
    # Then check that it really stores and returns an item.
    probe="probe-$$-$RANDOM"
    for _ in $(seq 1 50); do
      if printf '%s' "$probe" | timeout 5 secret-tool store --label='aigate CI probe' \
           service aigate-ci-probe username probe 2>/dev/null \
         && [ "$(timeout 5 secret-tool lookup service aigate-ci-probe username probe 2>/dev/null)" = "$probe" ]; then
        ready=1
        break
      fi
      sleep 0.2
    done
    [ -n "$ready" ] && break
    log "the Secret Service did not answer (try $attempt of 3); starting it again"
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  done
  if [ -z "$ready" ]; then
    log "the Secret Service did not come up in three tries (gnome-keyring-daemon in $base)"
    exit 1
  fi
  timeout 5 secret-tool clear service aigate-ci-probe username probe || true

  if [ -n "${AIGATE_WITH_KEYRING_XDG_SET:-}" ]; then
    export XDG_DATA_HOME="$AIGATE_WITH_KEYRING_XDG_ORIG"
  else
    unset XDG_DATA_HOME
  fi
  unset AIGATE_WITH_KEYRING_XDG_SET AIGATE_WITH_KEYRING_XDG_ORIG
  export AIGATE_TEST_KEYRING=1
  log "Secret Service ready on $DBUS_SESSION_BUS_ADDRESS; running: $*"
  status=0
  "$@" || status=$?
  exit "$status"
fi

# --- outer stage: tools, temp dir, session -----------------------------------------------------
missing=
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing=1
command -v secret-tool >/dev/null 2>&1 || missing=1
command -v dbus-run-session >/dev/null 2>&1 || missing=1
command -v dbus-send >/dev/null 2>&1 || missing=1
if [ -n "$missing" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "gnome-keyring, secret-tool or dbus-run-session is missing and there is no apt-get;"
    log "install gnome-keyring, libsecret-tools (secret-tool) and dbus yourself"
    exit 1
  fi
  sudo=
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      log "not root and no sudo: cannot install gnome-keyring libsecret-tools dbus-x11 dbus"
      exit 1
    fi
  fi
  log "installing gnome-keyring libsecret-tools dbus-x11 dbus"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    gnome-keyring libsecret-tools dbus-x11 dbus >/dev/null
fi

keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/aigate-keyring.XXXXXX")
cleanup() { rm -rf "$keyring_home"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${XDG_DATA_HOME+x}" ]; then
  export AIGATE_WITH_KEYRING_XDG_SET=1 AIGATE_WITH_KEYRING_XDG_ORIG="$XDG_DATA_HOME"
else
  unset AIGATE_WITH_KEYRING_XDG_SET AIGATE_WITH_KEYRING_XDG_ORIG
fi
status=0
AIGATE_WITH_KEYRING_STAGE=session XDG_DATA_HOME="$keyring_home" \
  dbus-run-session -- bash "$0" "$@" || status=$?
exit "$status"
