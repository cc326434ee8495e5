#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks, on 127.0.0.1 only:
#
#   eval "$(scripts/postgres.sh start DIR)"   initdb into DIR (a new folder), start on a free port,
#                                             print the variables below as shell assignments
#   scripts/postgres.sh stop DIR              stop it and delete DIR (run it from a trap on EXIT)
#
#   DESCENT_TEST_POSTGRES      postgresql://descent@127.0.0.1:PORT/postgres (a superuser)
#   PGPASSWORD                 its password (random; libpq reads it, so the URL needs none)
#   DESCENT_TEST_POSTGRES_CTL  pg_ctl with the folder and log: append stop -m fast, or start
#
# Debian's `postgresql` package provides the server (scripts/test.sh installs it). As root the
# server runs as the `postgres` user, since PostgreSQL refuses to run as root.
set -euo pipefail
command=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: scripts/postgres.sh start|stop DIR" >&2; exit 64; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "no PostgreSQL server in /usr/lib/postgresql: apt-get install postgresql" >&2; exit 69; }
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
ctl="${as[*]} $bin/pg_ctl -D $dir/data -l $dir/server.log -w"

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
    $ctl start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export DESCENT_TEST_POSTGRES='postgresql://descent@127.0.0.1:$port/postgres'"
    echo "export PGPASSWORD='$password'"
    echo "export DESCENT_TEST_POSTGRES_CTL='$ctl'"
    ;;
  stop)
    [ -d "$dir/data" ] && { $ctl stop -m immediate >/dev/null 2>&1 || true; }
    rm -rf "$dir"
    ;;
  *) echo "usage: scripts/postgres.sh start|stop DIR" >&2; exit 64 ;;
esac
