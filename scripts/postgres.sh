#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks, on 127.0.0.1 only:
#
#   eval "$(scripts/postgres.sh start DIR)"   initdb into DIR (a new folder), start on a free port,
#                                             print the variables below as shell assignments
#   scripts/postgres.sh stop DIR              stop it and delete DIR (run it from a trap on EXIT)
#   scripts/postgres.sh pause|resume DIR      stop the server, keeping DIR; start it again (the
#                                             chaos tests restart the server mid-study)
#
#   DESCENT_TEST_POSTGRES      postgresql://descent@127.0.0.1:PORT/postgres (a superuser)
#   PGPASSWORD                 its password (random; libpq reads it, so the URL needs none)
#
# Debian's `postgresql` package provides the server (scripts/test.sh installs it). As root the
# server runs as the `postgres` user, since PostgreSQL refuses to run as root.
set -euo pipefail
command=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: scripts/postgres.sh start|stop|pause|resume DIR" >&2; exit 64; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "no PostgreSQL server in /usr/lib/postgresql: apt-get install postgresql" >&2; exit 69; }
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
ctl="${as[*]} $bin/pg_ctl -D $dir/data -l $dir/server.log -w"

# Starts the server. It outlives this script, so it must not hold the caller's pipes (any
# descriptor above stderr it would inherit), or a caller reading them to the end waits forever.
serve() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done
  $ctl start </dev/null >/dev/null 2>&1 || { cat "$dir/server.log" >&2; exit 1; }
}

case "$command" in
  start)
    mkdir "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$password" >"$dir/password"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/password"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U descent --pwfile="$dir/password" --auth=scram-sha-256 -E UTF8 \
      --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    rm "$dir/password"
    # A free port: nothing answers on it now (bash's /dev/tcp connects or fails at once).
    while :; do
      port=$((20000 + RANDOM % 20000))
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
EOF
    serve
    echo "export DESCENT_TEST_POSTGRES='postgresql://descent@127.0.0.1:$port/postgres'"
    echo "export PGPASSWORD='$password'"
    ;;
  pause) $ctl stop -m fast >/dev/null ;;
  resume) serve ;;
  stop)
    [ -d "$dir/data" ] && { $ctl stop -m immediate >/dev/null 2>&1 || true; }
    rm -rf "$dir"
    ;;
  *) echo "usage: scripts/postgres.sh start|stop|pause|resume DIR" >&2; exit 64 ;;
esac
