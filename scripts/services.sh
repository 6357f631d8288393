#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis are there and prints `export NAME=value` lines for them (callers eval them; the
# lines carry passwords, so callers never echo them and nothing here prints them to the terminal).
# Idempotent: a second call finds the running instances and prints the same lines.
#   DATABASE_URL / REDIS_URL given  -> used as they are (DATABASE_OWNER_URL passed on when given too).
#   otherwise                        -> private instances under $PADDOCK_DATA_DIR (default .data/), loopback only,
#                                       installing postgresql / redis-server / openssh-server with apt-get when root.
#                                       Both require a password, even on loopback: test boxes of the `local` provider
#                                       share this machine's network. Passwords are made at first start from
#                                       /dev/urandom and kept beside the data (mode 0600). PostgreSQL gets three roles:
#                                         DATABASE_ADMIN_URL  the cluster's superuser (paddock_admin): tests create and
#                                                             clone databases with it; the apps never get it
#                                         DATABASE_OWNER_URL  paddock_owner: owns the database and every table, runs
#                                                             migrations; not a superuser
#                                         DATABASE_URL        paddock_app: what the API and workers use; only
#                                                             SELECT/INSERT/UPDATE/DELETE and sequences, granted by
#                                                             default privileges so tables of new migrations are covered
#   --fast                           -> trade durability for speed (fsync, full_page_writes, synchronous_commit off):
#                                       for test clusters only (scripts/test.sh uses its own data dir and ports).
#   --allow-embedded                 -> with no PostgreSQL binaries and no way to install them (or when
#                                       PADDOCK_EMBEDDED_PG=1 asks for it), print PADDOCK_EMBEDDED_PG=1 so the
#                                       caller starts the embedded PGlite server instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${PADDOCK_DATA_DIR:-$root/.data}
pg_port=${PADDOCK_PG_PORT:-54329}
redis_port=${PADDOCK_REDIS_PORT:-63799}
allow_embedded=0
need_sshd=0
fast=0
stop=0
for arg in "$@"; do
  case "$arg" in
    --allow-embedded) allow_embedded=1 ;;
    --fast) fast=1 ;;
    --with-sshd) need_sshd=1 ;;
    --stop) stop=1 ;;
    *) echo "services.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
log() { echo "services: $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=0
apt_install() {
  if ! is_root || ! command -v apt-get >/dev/null; then return 1; fi
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

pg_bindir() {
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/pg_ctl" ]; then pg_config --bindir; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null && dirname "$(readlink -f "$(command -v pg_ctl)")"
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# A new password: 32 hex digits from the kernel's CSPRNG (hex, so it needs no escaping in URLs, SQL or config).
new_password() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# KEY=value lines (values are hex or role names) written once, mode 0600, readable by whoever runs this script.
write_credentials() { local file=$1; shift; (umask 077; printf '%s\n' "$@" > "$file.tmp"); mv "$file.tmp" "$file"; }

# Runs SQL from stdin as the cluster's superuser over TCP (never a password on a command line: other users of this
# machine, test boxes included, can read every process's arguments).
pg_admin_sql() {
  PGPASSWORD=$admin_password PGCONNECT_TIMEOUT=10 "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" \
    -U "$admin_user" -d "$1" >/dev/null
}

# Roles, ownership and grants; run on every start (idempotent). The same grants are made for test databases by
# packages/testkit (global-setup.ts): keep the two in step.
pg_roles_sql() {
  cat <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paddock_owner') THEN CREATE ROLE paddock_owner; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paddock_app') THEN CREATE ROLE paddock_app; END IF;
END \$\$;
ALTER ROLE paddock_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '$owner_password';
ALTER ROLE paddock_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '$app_password';
ALTER ROLE "$admin_user" WITH PASSWORD '$admin_password';
SELECT 'CREATE DATABASE paddock OWNER paddock_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'paddock')
\gexec
ALTER DATABASE paddock OWNER TO paddock_owner;
SQL
}

pg_database_sql() {
  cat <<'SQL'
ALTER SCHEMA public OWNER TO paddock_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO paddock_app;
-- A cluster made by an older checkout (trust auth, everything owned by the superuser `paddock`): hand its tables,
-- sequences, types and functions to the owner role, so migrations keep working and the app role's grants apply.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND c.relowner <> 'paddock_owner'::regrole LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO paddock_owner', r.name);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relowner <> 'paddock_owner'::regrole LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO paddock_owner', r.name);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND t.typowner <> 'paddock_owner'::regrole LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO paddock_owner', r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proowner <> 'paddock_owner'::regrole LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO paddock_owner', r.name);
  END LOOP;
END $$;
ALTER DEFAULT PRIVILEGES FOR ROLE paddock_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO paddock_app;
ALTER DEFAULT PRIVILEGES FOR ROLE paddock_owner IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO paddock_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO paddock_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO paddock_app;
-- The audit log is append-only for the app (migration 20261204130200): the blanket grant above must not undo that.
DO $$ BEGIN
  IF to_regclass('public.audit_log') IS NOT NULL THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON TABLE audit_log FROM paddock_app;
  END IF;
END $$;
SQL
}

# Password for every connection, TCP and unix socket alike (the socket directory is the postgres user's alone too).
pg_hba() {
  printf '%s\n' '# Written by scripts/services.sh: every connection needs a password (scram-sha-256), even on loopback.' \
    'local all all scram-sha-256' 'host all all 127.0.0.1/32 scram-sha-256' 'host all all ::1/128 scram-sha-256'
}

# Where the cluster of this data directory lives.
pg_dir() {
  if is_root && ! runuser -u postgres -- test -x "$data" 2>/dev/null; then
    # The checkout sits where the postgres user cannot reach: keep the cluster in a world-traversable place, one per
    # data directory (npm test's .data/test must not share npm start's cluster; .data keeps its older name).
    local key=$data; [ "$data" = "$root/.data" ] && key=$root
    echo "/var/lib/paddock-dev/$(echo -n "$key" | md5sum | cut -c1-12)/pg"
  else
    echo "$data/pg"
  fi
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "export DATABASE_URL='$DATABASE_URL'"
    [ -n "${DATABASE_OWNER_URL:-}" ] && echo "export DATABASE_OWNER_URL='$DATABASE_OWNER_URL'"
    [ -n "${DATABASE_ADMIN_URL:-}" ] && echo "export DATABASE_ADMIN_URL='$DATABASE_ADMIN_URL'"
    return 0
  fi
  if [ "$allow_embedded" = 1 ] && [ "${PADDOCK_EMBEDDED_PG:-0}" = 1 ]; then echo "export PADDOCK_EMBEDDED_PG=1"; return; fi
  bin=$(pg_bindir || true)
  if [ -z "$bin" ]; then apt_install postgresql >/dev/null || true; bin=$(pg_bindir || true); fi
  if [ -z "$bin" ]; then
    if [ "$allow_embedded" = 1 ]; then log "no PostgreSQL binaries: using the embedded PGlite server"; echo "export PADDOCK_EMBEDDED_PG=1"; return; fi
    log "PostgreSQL is missing: install the 'postgresql' package (apt-get install postgresql) or set DATABASE_URL"; exit 1
  fi
  if is_root && ! id postgres >/dev/null 2>&1; then apt_install postgresql >/dev/null || { log "no 'postgres' user to run PostgreSQL as"; exit 1; }; fi
  local dir; dir=$(pg_dir)
  mkdir -p "$dir"
  if is_root; then chown postgres "$dir"; fi
  chmod 700 "$dir"
  local credentials=$dir/credentials.env
  if [ ! -f "$dir/cluster/PG_VERSION" ]; then
    admin_user=paddock_admin admin_password=$(new_password)
    owner_password=$(new_password) app_password=$(new_password)
    write_credentials "$credentials" "admin_user=$admin_user" "admin_password=$admin_password" \
      "owner_password=$owner_password" "app_password=$app_password"
    log "initdb $dir/cluster"
    local pwfile=$dir/initdb-password
    (umask 077; printf '%s\n' "$admin_password" > "$pwfile")
    if is_root; then chown postgres "$pwfile"; fi
    as_pg "$bin/initdb" -D "$dir/cluster" -U "$admin_user" --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 \
      --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    pg_hba | as_pg tee "$dir/cluster/pg_hba.conf" >/dev/null
  elif [ ! -f "$credentials" ]; then
    # A cluster from an older checkout: no passwords, trust auth, superuser `paddock`. Its data is kept: it gets
    # passwords and roles below (connecting once more without one), then pg_hba.conf requires them.
    log "securing the PostgreSQL cluster in $dir (made without passwords by an older checkout)"
    write_credentials "$credentials" "admin_user=paddock" "admin_password=$(new_password)" \
      "owner_password=$(new_password)" "app_password=$(new_password)"
  fi
  # shellcheck disable=SC1090
  . "$credentials"
  local hba=$dir/cluster/pg_hba.conf hba_changed=0
  if [ "$(as_pg cat "$hba")" != "$(pg_hba)" ]; then hba_changed=1; fi
  as_pg mkdir -p -m 700 "$dir/run"

  local durable="on"; [ "$fast" = 1 ] && durable="off"
  local options="-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$dir/run"
  options+=" -c unix_socket_permissions=0700 -c password_encryption=scram-sha-256 -c max_connections=400"
  options+=" -c fsync=$durable -c synchronous_commit=$durable -c full_page_writes=$durable -c shared_buffers=256MB"
  if as_pg "$bin/pg_ctl" -D "$dir/cluster" status >/dev/null 2>&1; then
    # Running already: with the wrong durability (an older checkout ran everything with fsync off) or on another
    # port, restart it with the settings asked for now.
    local running
    running=$(PGPASSWORD=$admin_password "$bin/psql" -X -tA -h 127.0.0.1 -p "$pg_port" -U "$admin_user" -d postgres \
      -c "select current_setting('fsync') || ',' || current_setting('full_page_writes')" 2>/dev/null || true)
    if [ "$running" != "$durable,$durable" ] && [ "$hba_changed" = 0 ]; then
      log "restarting PostgreSQL in $dir (fsync/full_page_writes/synchronous_commit $durable)"
      as_pg "$bin/pg_ctl" -D "$dir/cluster" -m fast -w -t 60 stop >/dev/null
    fi
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/cluster" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$pg_port"
    as_pg "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/postgres.log" -w -t 60 -o "$options" start >/dev/null
  fi
  pg_roles_sql | pg_admin_sql postgres
  pg_database_sql | pg_admin_sql paddock
  if [ "$hba_changed" = 1 ]; then
    # Only now: a legacy cluster was reached without a password above. From here on every connection needs one.
    pg_hba | as_pg tee "$hba" >/dev/null
    if [ "$fast" = 0 ]; then
      # An older checkout's cluster also ran with fsync off: a restart applies both the new rules and durability.
      as_pg "$bin/pg_ctl" -D "$dir/cluster" -m fast -w -t 60 stop >/dev/null
      as_pg "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/postgres.log" -w -t 60 -o "$options" start >/dev/null
    else
      as_pg "$bin/pg_ctl" -D "$dir/cluster" reload >/dev/null
    fi
  fi
  echo "export DATABASE_URL='postgresql://paddock_app:$app_password@127.0.0.1:$pg_port/paddock'"
  echo "export DATABASE_OWNER_URL='postgresql://paddock_owner:$owner_password@127.0.0.1:$pg_port/paddock'"
  echo "export DATABASE_ADMIN_URL='postgresql://$admin_user:$admin_password@127.0.0.1:$pg_port/postgres'"
  echo "export PADDOCK_PG_BINDIR='$bin'"
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then echo "export REDIS_URL='$REDIS_URL'"; return; fi
  if ! command -v redis-server >/dev/null; then apt_install redis-server >/dev/null || true; fi
  if ! command -v redis-server >/dev/null; then log "Redis is missing: install the 'redis-server' package or set REDIS_URL"; exit 1; fi
  local dir=$data/redis; mkdir -p "$dir"; chmod 700 "$dir"
  local credentials=$dir/credentials.env
  if [ ! -f "$credentials" ]; then write_credentials "$credentials" "redis_password=$(new_password)"; fi
  # shellcheck disable=SC1090
  . "$credentials"
  # The password lives in a 0600 config file, not on redis-server's command line (readable by every process here).
  (umask 077; printf '%s\n' "bind 127.0.0.1" "port $redis_port" "dir $dir" "daemonize yes" "pidfile $dir/redis.pid" \
    "logfile $dir/redis.log" 'save ""' "appendonly yes" "maxmemory-policy noeviction" \
    "requirepass $redis_password" > "$dir/redis.conf")
  local anonymous
  anonymous=$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>&1 || true)
  if [ "$anonymous" = PONG ]; then
    # Started by an older checkout without a password: its data is in the append-only file, so a restart with the
    # password loses nothing (SHUTDOWN flushes it).
    log "restarting Redis on 127.0.0.1:$redis_port with a password (it ran without one)"
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 || break; sleep 0.05; done
    anonymous=""
  fi
  if [[ "$anonymous" == *NOAUTH* ]]; then
    if [ "$(REDISCLI_AUTH=$redis_password redis-cli --no-auth-warning -h 127.0.0.1 -p "$redis_port" ping 2>&1)" != PONG ]; then
      log "a Redis on 127.0.0.1:$redis_port wants a password other than the one in $credentials: stop it, pick another PADDOCK_REDIS_PORT, or set REDIS_URL"
      exit 1
    fi
  else
    log "starting Redis on 127.0.0.1:$redis_port"
    redis-server "$dir/redis.conf" >/dev/null
    for _ in $(seq 1 100); do
      [ "$(REDISCLI_AUTH=$redis_password redis-cli --no-auth-warning -h 127.0.0.1 -p "$redis_port" ping 2>&1)" = PONG ] && break
      sleep 0.05
    done
  fi
  echo "export REDIS_URL='redis://:$redis_password@127.0.0.1:$redis_port'"
}

ensure_sshd() {
  if ! [ -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
    apt_install openssh-server openssh-client >/dev/null || { log "OpenSSH server is missing: install 'openssh-server'"; exit 1; }
  fi
  # Deploys compress uploads with zstd and hash on the box with openssl when they are there (both optional: without
  # them uploads go uncompressed and hashing uses sha256sum); test boxes share this machine's /usr.
  if ! command -v zstd >/dev/null || ! command -v openssl >/dev/null; then
    apt_install zstd openssl >/dev/null || log "zstd / openssl missing: deploys fall back to uncompressed uploads and sha256sum"
  fi
  # The metadata guard's test loads the real nftables rules (inside its own network namespace, never this machine's
  # firewall): it needs nft, and fails saying so when it is missing.
  if ! [ -x /usr/sbin/nft ] || ! command -v ip >/dev/null; then
    apt_install nftables iproute2 >/dev/null || log "nft or ip is missing (install 'nftables' and 'iproute2' as root): the metadata guard test will fail"
  fi
}

# --stop (npm stop): stops the PostgreSQL and Redis this script started for this data directory, cleanly (Redis
# flushes its append-only file). Servers given by DATABASE_URL / REDIS_URL are not ours and are left alone.
stop_services() {
  if [ -n "${DATABASE_URL:-}" ]; then
    log "DATABASE_URL is set: that PostgreSQL is not ours to stop"
  else
    local bin dir
    bin=$(pg_bindir || true); dir=$(pg_dir)
    if [ -n "$bin" ] && [ -f "$dir/cluster/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$dir/cluster" status >/dev/null 2>&1; then
      log "stopping PostgreSQL ($dir/cluster)"
      as_pg "$bin/pg_ctl" -D "$dir/cluster" -m fast -w -t 60 stop >/dev/null
    else
      log "PostgreSQL is not running"
    fi
  fi
  if [ -n "${REDIS_URL:-}" ]; then
    log "REDIS_URL is set: that Redis is not ours to stop"
  elif [ -f "$data/redis/credentials.env" ] && [ -f "$data/redis/redis.pid" ] && kill -0 "$(cat "$data/redis/redis.pid")" 2>/dev/null; then
    # shellcheck disable=SC1091
    . "$data/redis/credentials.env"
    log "stopping Redis on 127.0.0.1:$redis_port"
    REDISCLI_AUTH=$redis_password redis-cli --no-auth-warning -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1 || true
    local pid; pid=$(cat "$data/redis/redis.pid" 2>/dev/null || true)
    for _ in $(seq 1 200); do { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; } || break; sleep 0.05; done
  else
    log "Redis is not running"
  fi
}

if [ "$stop" = 1 ]; then stop_services; exit 0; fi
mkdir -p "$data"
ensure_postgres
ensure_redis
[ "$need_sshd" = 1 ] && ensure_sshd
exit 0
