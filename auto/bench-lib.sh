# Helpers of auto/bench: starting the servers, loading data, running redis-benchmark and pgbench,
# formatting. Sourced by auto/bench, which sets the knobs and $tmp first; not a program of its own.

# --- Processes ---------------------------------------------------------------------------------

# Everything this script starts, stopped on exit, last started first.
started_pids=()

note() { echo "$*" >&2; }
die() {
    echo "auto/bench: $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_ping() { # port
    for _ in $(seq 600); do
        [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    die "nothing answers on port $1"
}

stop_all() {
    set +e
    local i
    for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
        kill "${started_pids[i]}" 2>/dev/null && wait "${started_pids[i]}" 2>/dev/null
    done
    [ -f "$tmp/pg/data/postmaster.pid" ] &&
        "${as_owner[@]}" "$pgbin/pg_ctl" stop -m fast -w -D "$tmp/pg/data" >/dev/null 2>&1
    rm -rf "$tmp"
}

# PostgreSQL's programs: beside the real initdb (PATH may hold a lone symlink), else the newest
# installed version.
find_postgres() {
    if command -v initdb >/dev/null; then
        pgbin=$(dirname "$(readlink -f "$(command -v initdb)")")
    else
        pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    pgbench=$pgbin/pgbench
    [ -x "$pgbench" ] || pgbench=$(command -v pgbench)
    psql=$pgbin/psql
    [ -x "$psql" ] || psql=$(command -v psql)
}

# A durable cluster in $tmp/pg, reachable on its Unix socket only. PostgreSQL refuses to run as
# root: then the cluster belongs to 'postgres' (or 'nobody').
start_postgres() {
    as_owner=()
    mkdir -p "$tmp/pg"
    if [ "$(id -u)" = 0 ]; then
        local owner=postgres
        id -u postgres >/dev/null 2>&1 || owner=nobody
        chown "$owner" "$tmp/pg"
        chmod 755 "$tmp"
        as_owner=(runuser -u "$owner" --)
    fi
    "${as_owner[@]}" "$pgbin/initdb" -D "$tmp/pg/data" -U pgredis --auth=trust -E UTF8 --locale=C >/dev/null
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$tmp/pg'"
        echo "port = 5432"
        echo "max_connections = 300"
        echo "shared_buffers = 1GB"
        echo "max_wal_size = 8GB"
        echo "maintenance_work_mem = 512MB"
        if [ "$durable" = 1 ]; then
            echo "fsync = on"
            echo "synchronous_commit = on"
            echo "full_page_writes = on"
        else
            echo "fsync = off"
            echo "synchronous_commit = off"
        fi
    } >>"$tmp/pg/data/postgresql.conf"
    "${as_owner[@]}" "$pgbin/pg_ctl" start -w -t 60 -D "$tmp/pg/data" -l "$tmp/pg/postgres.log" >/dev/null
}

dsn() { echo "host=$tmp/pg port=5432 user=pgredis dbname=$1"; } # database name

sql() { # database, then psql arguments (-c ..., -f ...)
    local db=$1
    shift
    "$psql" -X -q -v ON_ERROR_STOP=1 -At -d "$(dsn "$db")" "$@"
}

start_redis() { # name, extra redis-server arguments...; sets port_<name>
    local name=$1 port
    shift
    port=$(free_port)
    mkdir -p "$tmp/$name"
    redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$tmp/$port.sock" --save '' \
        --dir "$tmp/$name" "$@" \
        >"$tmp/$name/log" 2>&1 &
    started_pids+=($!)
    wait_for_ping "$port"
    printf -v "port_$name" %s "$port"
}

start_pgredis() { # name, database; sets port_<name> and pid_<name>
    local port
    port=$(free_port)
    PGREDIS_LOG_LEVEL=warn ./target/release/pgredis server --port "$port" \
        --unixsocket "$tmp/$port.sock" --database "$(dsn "$2")" \
        >"$tmp/$1.log" 2>&1 &
    started_pids+=($!)
    printf -v "pid_$1" %s "$!"
    wait_for_ping "$port"
    printf -v "port_$1" %s "$port"
}

# After a load: VACUUM ANALYZE (what the load left for autovacuum would otherwise run during the
# measurements), then a CHECKPOINT, so that writing out the loaded pages does not either.
settle() { # database, [table]
    sql "$1" -c "VACUUM ANALYZE ${2:-}"
    sql "$1" -c "CHECKPOINT"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; } # pid

# --- pgredis's statements, read from its source -------------------------------------------------

# Prints the SQL of `fn NAME` in the Rust source on stdin (its `const SQL`), with $1, $2, ...
# replaced by pgbench variables named after the Rust parameters passed in that position: db ->
# :db, key -> :key, value -> :value, anything else (an increment) -> :delta. Arguments NAME=TEXT
# after the function's name override that for the parameter NAME.
sql_of() { # fn name, [param=replacement ...]
    perl -e '
        my ($name, @over) = @ARGV;
        my %over = map { split /=/, $_, 2 } @over;
        local $/;
        my $src = <STDIN>;
        while ($src =~ /\n(?:pub )?async fn (\w+)\b(.*?)\n\}/sg) {
            my ($fn, $body) = ($1, $2);
            next unless $fn eq $name;
            $body =~ /const SQL: &str =\s*"(.*?)";/s or next;
            my $sql = $1;
            $sql =~ s/\\\n\s*/ /g;
            $body =~ /\(\s*SQL,\s*&\[(.*?)\]/s or next;
            my @params = map { s/[\s&]//gr } split /,/, $1;
            $sql =~ s{\$(\d+)}{
                my $p = $params[$1 - 1] // "";
                exists $over{$p} ? $over{$p}
                  : $p =~ /db/ ? ":db" : $p =~ /key/ ? ":key" : $p =~ /value/ ? ":value" : ":delta"
            }ge;
            print $sql;
            exit 0;
        }
        exit 1;
    ' "$@"
}

# A statement documented in auto/bench's header comment: the indented lines under "#   NAME:".
header_sql() { # name
    awk -v name="$1" '
        $0 == "#   " name ":" { on = 1; next }
        on && /^#     / { sub(/^#     /, ""); print; next }
        on { exit }
    ' auto/bench
}

# --- Loading data --------------------------------------------------------------------------------

# Redis commands as RESP on stdout, for redis-cli --pipe: the same data load_sql puts in pgredis.
# Keys are named the way redis-benchmark's __rand_int__ names them (12 digits).
resp_load() { # string keys, collection keys, list length, range keys, range members
    python3 - "$@" <<'EOF'
import sys
out = sys.stdout.buffer
def cmd(*args):
    args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
strings, coll, fill, zr_keys, zr_members = map(int, sys.argv[1:])
for n in range(strings):
    cmd("SET", "key:%012d" % n, "xxx")
for n in range(coll):
    cmd("RPUSH", "list:%012d" % n, *["xxx"] * fill)
    cmd("SADD", "set:%012d" % n, "seed")
    cmd("HSET", "hash:%012d" % n, "seed", "xxx")
    cmd("ZADD", "zset:%012d" % n, 0, "seed")
for n in range(zr_keys):
    args = []
    for i in range(zr_members):
        args += [i, "%012d" % i]
    cmd("ZADD", "zr:%012d" % n, *args)
EOF
}

# SQL that loads the same data as resp_load into pgredis's tables, in the logical databases given. For pgredis itself (db 0) keys are named like
# redis-benchmark's (`key:000000000042`); the pgbench copies live in other logical databases
# with plain numbers as keys, one database per workload family so that keys cannot collide.
load_sql() { # db of strings, db of lists, db of sets, db of hashes, db of zsets, db of ranges, key prefix style
    local s=$1 l=$2 st=$3 h=$4 z=$5 zr=$6 style=$7
    key() { # redis-benchmark's name of key number g with this prefix, or the plain number
        if [ "$style" = redis ]; then
            echo "convert_to('$1:' || lpad(g::text, 12, '0'), 'UTF8')"
        else
            echo "convert_to(g::text, 'UTF8')"
        fi
    }
    cat <<EOF
INSERT INTO pgredis_keys (db, key, type, value)
SELECT $s, $(key key), 'string', '\\x787878'::bytea FROM generate_series(0, $keyspace - 1) g;
WITH k AS (INSERT INTO pgredis_keys (db, key, type, size, list_head)
           SELECT $l, $(key list), 'list', $list_fill, 0 FROM generate_series(0, $coll_keys - 1) g
           RETURNING key_id)
INSERT INTO pgredis_list_items (key_id, pos, value)
SELECT key_id, p, '\\x787878'::bytea FROM k, generate_series(0, $list_fill - 1) p;
WITH k AS (INSERT INTO pgredis_keys (db, key, type, size)
           SELECT $st, $(key set), 'set', 1 FROM generate_series(0, $coll_keys - 1) g RETURNING key_id)
INSERT INTO pgredis_set_members (key_id, member) SELECT key_id, 'seed' FROM k;
WITH k AS (INSERT INTO pgredis_keys (db, key, type, size)
           SELECT $h, $(key hash), 'hash', 1 FROM generate_series(0, $coll_keys - 1) g RETURNING key_id)
INSERT INTO pgredis_hash_fields (key_id, field, value) SELECT key_id, 'seed', 'xxx' FROM k;
WITH k AS (INSERT INTO pgredis_keys (db, key, type, size)
           SELECT $z, $(key zset), 'zset', 1 FROM generate_series(0, $coll_keys - 1) g RETURNING key_id)
INSERT INTO pgredis_zset_members (key_id, member, score) SELECT key_id, 'seed', 0 FROM k;
WITH k AS (INSERT INTO pgredis_keys (db, key, type, size)
           SELECT $zr, $(key zr), 'zset', $zr_members FROM generate_series(0, $zr_keys - 1) g
           RETURNING key_id)
INSERT INTO pgredis_zset_members (key_id, member, score)
SELECT key_id, convert_to(lpad(i::text, 12, '0'), 'UTF8'), i FROM k, generate_series(0, $zr_members - 1) i;
EOF
}

# One collection of N elements at KEY (db 0), elements named like __rand_int__ (12 digits) with
# scores equal to their number, as one statement per collection.
big_collection_sql() { # type, key, n
    local type=$1 key=$2 n=$3 child
    case $type in
    list) child="INSERT INTO pgredis_list_items (key_id, pos, value)
                 SELECT key_id, i, '\\x787878'::bytea FROM k, generate_series(0, $n - 1) i" ;;
    set) child="INSERT INTO pgredis_set_members (key_id, member)
                SELECT key_id, convert_to(lpad(i::text, 12, '0'), 'UTF8') FROM k, generate_series(0, $n - 1) i" ;;
    hash) child="INSERT INTO pgredis_hash_fields (key_id, field, value)
                 SELECT key_id, convert_to(lpad(i::text, 12, '0'), 'UTF8'), '\\x787878'::bytea
                   FROM k, generate_series(0, $n - 1) i" ;;
    zset) child="INSERT INTO pgredis_zset_members (key_id, member, score)
                 SELECT key_id, convert_to(lpad(i::text, 12, '0'), 'UTF8'), i FROM k, generate_series(0, $n - 1) i" ;;
    esac
    cat <<EOF
WITH k AS (INSERT INTO pgredis_keys (db, key, type, size, list_head)
           VALUES (0, convert_to('$key', 'UTF8'), '$type', $n, CASE WHEN '$type' = 'list' THEN 0 END)
           RETURNING key_id)
$child;
EOF
}

# --- Measuring ---------------------------------------------------------------------------------

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; } # since

# One redis-benchmark run: "ops/s p50 p99" (ms), or "error <text>" when the server answered an
# error, the run failed, or it did not finish within LIMIT seconds.
# redis-benchmark's arguments to reach the server on PORT over $transport: "unix" (its socket,
# $tmp/PORT.sock, as pgbench reaches PostgreSQL) or "tcp" (127.0.0.1).
server_at() { # port
    if [ "$transport" = unix ]; then
        echo "-s $tmp/$1.sock"
    else
        echo "-h 127.0.0.1 -p $1"
    fi
}

rb_once() { # port, clients, pipeline, range, requests, limit, command...
    local port=$1 c=$2 p=$3 r=$4 n=$5 limit=$6 out
    shift 6
    : >"$tmp/rb.err"
    # shellcheck disable=SC2046 # server_at's words
    out=$(timeout "$limit" redis-benchmark $(server_at "$port") -c "$c" -P "$p" -r "$r" -n "$n" \
        --csv "$@" 2>"$tmp/rb.err" | tail -1 | tr -d '"') || true
    if grep -qa 'Error' "$tmp/rb.err" || [ -z "$out" ] || [[ $out == test,* ]]; then
        if grep -qa 'Error' "$tmp/rb.err"; then
            echo "error $(grep -a -m1 'Error' "$tmp/rb.err" | tr -d '\r')"
        else
            echo "error: $n requests did not finish within ${limit}s (< $((n / limit)) ops/s)"
        fi
        return
    fi
    awk -F, '{ print $(NF-6), $(NF-3), $(NF-1) }' <<<"$out"
}

# A redis-benchmark run sized to last about SECONDS: a small probe (two requests per client, or
# two pipelines each, at least 100), then runs sized from the last rate until one takes at least half of
# SECONDS (at most three). MAX caps the requests of all runs together (0: no cap), for commands
# that consume what they work on. A run that takes ten times SECONDS (at least 30 s) is stopped.
rb() { # port, clients, pipeline, range, seconds, max, command...
    local port=$1 c=$2 p=$3 r=$4 s=$5 max=$6 n res started limit used=0 try
    shift 6
    limit=$(awk -v s="$s" 'BEGIN { l = int(s * 10); print l < 30 ? 30 : l }')
    n=$((c * p * 2))
    ((n < 100)) && n=100
    ((max > 0 && n > max / 4)) && n=$((max / 4 > 1 ? max / 4 : 1))
    for try in 1 2 3; do
        started=$(now)
        res=$(rb_once "$port" "$c" "$p" "$r" "$n" "$limit" "$@")
        used=$((used + n))
        [[ $res == error* ]] && break
        awk -v e="$(elapsed "$started")" -v s="$s" 'BEGIN { exit !(e < s / 2) }' || break
        # A run too short for redis-benchmark's clock reports "inf" ops/s: then ten times more.
        n=$(awk -v rps="${res%% *}" -v s="$s" -v min=$((c * p * 4)) -v prev="$n" \
            'BEGIN { n = rps ~ /^[0-9.]+$/ ? int(rps * s) : prev * 10; if (n < min) n = min; print n }')
        ((max > 0 && n > max - used)) && n=$((max - used))
        ((n > 0)) || break
    done
    echo "$res"
}

# One pgbench run of a script in $tmp: tps, or "error <text>".
pgb() { # script name, clients, seconds, db
    local c=$2 j=2 out
    ((c < 2)) && j=1
    out=$("$pgbench" -n -M prepared -c "$c" -j "$j" -T "$3" -f "$tmp/$1.sql" \
        -D db="$4" -D value=xxx -D delta=1 -h "$tmp/pg" -p 5432 -U pgredis postgres \
        2>"$tmp/pgbench-$1.err" | awk '/^tps = / { print $3; exit }') || true
    if [ -z "$out" ]; then
        echo "error $(grep -a -m1 -E 'ERROR|FATAL|error' "$tmp/pgbench-$1.err" || echo 'no result')"
    else
        echo "$out"
    fi
}

# --- Formatting ----------------------------------------------------------------------------------

isnum() { [[ $1 =~ ^[0-9.]+$ ]]; }
num() { if isnum "$1"; then printf '%.0f' "$1"; else printf -- '-'; fi; }
ms() { if isnum "$1"; then printf '%.2f' "$1"; else printf -- '-'; fi; }
ratio() {
    if isnum "$1" && isnum "$2"; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
    else
        printf -- '-'
    fi
}
# "met" when A / B >= GOAL.
goal() { # a, b, goal
    if isnum "$1" && isnum "$2"; then
        awk -v a="$1" -v b="$2" -v g="$3" 'BEGIN { if (b > 0 && a / b >= g) print "met"; else print "not met" }'
    else
        echo "not measured"
    fi
}
