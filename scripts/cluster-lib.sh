# Sourced by scripts/cluster and bench/cluster.sh: how a cluster on one machine is put together, kept in one
# place so that the benchmark measures the cluster scripts/cluster starts. Defines functions only.

CLUSTER_PG_BIN=/usr/lib/postgresql/15/bin
CLUSTER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A throwaway PostgreSQL 15 (scripts/test-postgres writes its maintenance URL and folder to `state`). In a session
# of its own, like every process the callers start: a Ctrl-C waits for initdb instead of cutting it short, so the
# stop finds a cluster it can stop.
cluster_postgres_start() {  # state
  setsid "$CLUSTER_ROOT/scripts/test-postgres" start "$1"
}

cluster_postgres_stop() {  # state
  "$CLUSTER_ROOT/scripts/test-postgres" stop "$1"
}

# A database of its own rather than the maintenance database "postgres": Serenade's schema stays apart from the
# server's, as in a deploy where it owns one database. Prints its URL.
cluster_database() {  # state name
  local maintenance_url
  maintenance_url=$(sed -n 1p "$1")
  setsid "$CLUSTER_PG_BIN/createdb" --maintenance-db="$maintenance_url" "$2"
  printf '%s\n' "${maintenance_url/@\/postgres\?/@\/$2\?}"
}

# The postmaster's pid of the server started with `state`.
cluster_postgres_pid() {  # state
  head -n 1 "$(sed -n 2p "$1")/data/postmaster.pid"
}

# 32 random bytes in base64url: 43 characters, as Sonauto's key and the webhook token want.
cluster_random_text() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

# CLUSTER_INSTANCE_ENV: the environment of one `serenade serve` instance of a cluster. Every instance gets the
# same database, Sonauto key and webhook token (a webhook arrives through the front at whichever instance HAProxy
# picks, and an edge proves its relays to the owner with a key derived from the token), the front as public URL,
# its own archive folder (or one shared, with a capture folder of its own). --trust-proxy: deploy/haproxy.cfg
# replaces X-Forwarded-For, so its first hop is the client.
cluster_instance_env() {  # database_url api_key simulator_address front listen archive_dir webhook_token [capture_dir]
  # shellcheck disable=SC2034  # read by the caller
  CLUSTER_INSTANCE_ENV=(
    "DATABASE_URL=$1"
    "SONAUTO_API_KEY=$2"
    "SONAUTO_API_BASE=http://$3/v1"
    "SONAUTO_STREAM_BASE=http://$3"
    "SERENADE_WEBHOOK_TOKEN=$7"
    "SERENADE_PUBLIC_URL=http://$4"
    "SERENADE_LISTEN=$5"
    "SERENADE_ARCHIVE_DIR=$6"
    "SERENADE_CAPTURE_DIR=${8:-$6}"
    "SERENADE_DRAIN_SECONDS=3"
    "SERENADE_TRUST_PROXY=1"
  )
}

# CLUSTER_HAPROXY_ENV: the environment deploy/haproxy.cfg reads, for the front and one to three instances. The
# file names three servers; with fewer instances the remaining lines name the given ones again, so the same file
# serves one or two instances unchanged (a repeated instance only takes a larger share of the hash).
cluster_haproxy_env() {  # front instance_address...
  local front=$1 i
  shift
  (($# >= 1 && $# <= 3)) || { echo "cluster_haproxy_env: one to three instances, got $#" >&2; return 1; }
  local instances=("$@")
  CLUSTER_HAPROXY_ENV=("SERENADE_FRONT=$front")
  for i in 0 1 2; do
    CLUSTER_HAPROXY_ENV+=("SERENADE_INSTANCE_$((i + 1))=${instances[$((i % $#))]}")
  done
}
