# Sourced by bench/run (its helpers and settings): Serenade as a cluster, put together as scripts/cluster does
# (scripts/cluster-lib.sh): a throwaway PostgreSQL 15, instances sharing it, HAProxy 2.6 with deploy/haproxy.cfg
# in front, the simulator as Sonauto. This build only (baselines are not measured here).
#   listeners  N real-time listeners of one live song (generated at 2x real time) through the front, to one
#              instance and to two (a fresh database for each); each count stops at its first N with stalled
#              listeners. The front hashes a song's listeners to one instance, so with two instances they all
#              land on one of them: the owner, or an edge relaying from the owner.
#   failover   two instances with a short lease (BENCH_CLUSTER_LEASE, default 3 s); listeners at the live edge of
#              a song generated at real time, on the instance that owns it, which is killed with SIGKILL. The listeners reconnect through the front
#              (loadgen --reconnect-ms) and the figure is the time from the kill to the last of them hearing audio
#              again: the lease running out, the takeover by the other instance, its replay from Sonauto.

source "$ROOT/scripts/cluster-lib.sh"

CLUSTER_LEASE=${BENCH_CLUSTER_LEASE:-3}
CLUSTER_PG_STATE=""
CLUSTER_FRONT_PORT=""
CLUSTER_DATABASE_URL=""
CLUSTER_HAPROXY_PID=""
CLUSTER_TOKEN=$(cluster_random_text)
CLUSTER_INSTANCE_PIDS=()
CLUSTER_INSTANCE_PORTS=()
# HAProxy holds two descriptors per listener within the same hard limit.
CLUSTER_MAX_N=$(( HARD_NOFILE / 2 - 200 ))
if ((QUICK)); then
  CLUSTER_STEPS=(250); CLUSTER_FAILOVER_N=100
else
  CLUSTER_STEPS=(1000 2000 4000 8000); CLUSTER_FAILOVER_N=500
fi
# Long enough for the kill (2 s after every listener plays), the lease running out, the takeover and as much again.
CLUSTER_FAILOVER_WINDOW=$(( 2 * CLUSTER_LEASE + 6 ))

stop_cluster_database() {
  [[ -n "$CLUSTER_PG_STATE" ]] || return 0
  cluster_postgres_stop "$CLUSTER_PG_STATE" || true
  CLUSTER_PG_STATE=""
}

# Instances first (they still need the simulator and the database while they stop), then HAProxy, the simulator.
stop_cluster() {
  local pid
  for pid in "${CLUSTER_INSTANCE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${CLUSTER_INSTANCE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  CLUSTER_INSTANCE_PIDS=(); CLUSTER_INSTANCE_PORTS=()
  if [[ -n "$CLUSTER_HAPROXY_PID" ]]; then
    kill "$CLUSTER_HAPROXY_PID" 2>/dev/null || true; wait "$CLUSTER_HAPROXY_PID" 2>/dev/null || true
    CLUSTER_HAPROXY_PID=""
  fi
  if [[ -n "$SIM_PID" ]]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""; fi
  return 0
}

# count instances on a fresh database `name`, HAProxy in front of them (CLUSTER_FRONT_PORT), extra serve flags after.
start_cluster() {  # phase count database_name serve flags...
  local phase=$1 count=$2 database=$3 url i port dir addresses=()
  shift 3
  url=$(cluster_database "$CLUSTER_PG_STATE" "$database")
  CLUSTER_DATABASE_URL=$url
  CLUSTER_FRONT_PORT=$(free_port)
  for i in $(seq 1 "$count"); do
    port=$(free_port); dir=$WORK/$phase/instance$i
    mkdir -p "$dir/archive"; chmod 700 "$dir/archive"
    cluster_instance_env "$url" "$KEY" "127.0.0.1:$SIM_PORT" "127.0.0.1:$CLUSTER_FRONT_PORT" "127.0.0.1:$port" \
      "$dir/archive" "$CLUSTER_TOKEN"
    # No drain: the instances are stopped only once nothing listens any more.
    (trap '' PIPE; exec env "${CLUSTER_INSTANCE_ENV[@]}" "${CLIENT_SHARES_ENV[@]}" "$SERENADE" serve \
      --threads "$SERVER_THREADS" --max-connections "$SERVER_MAX_CONNECTIONS" --log-level warn --poll-interval-ms 300 \
      --final-retry-ms 300 --write-timeout 60 --idle-timeout 60 --drain-seconds 0 --shutdown-grace 1 "$@" \
      >"$dir/serenade.log" 2>&1) &
    CLUSTER_INSTANCE_PIDS+=("$!"); CLUSTER_INSTANCE_PORTS+=("$port"); PIDS+=("$!")
    addresses+=("127.0.0.1:$port")
  done
  for port in "${CLUSTER_INSTANCE_PORTS[@]}"; do wait_http "http://127.0.0.1:$port/readyz" 20; done
  cluster_haproxy_env "127.0.0.1:$CLUSTER_FRONT_PORT" "${addresses[@]}"
  env "${CLUSTER_HAPROXY_ENV[@]}" /usr/sbin/haproxy -db -f "$ROOT/deploy/haproxy.cfg" >"$WORK/$phase/haproxy.log" 2>&1 &
  CLUSTER_HAPROXY_PID=$!; PIDS+=("$CLUSTER_HAPROXY_PID")
  wait_http "http://127.0.0.1:$CLUSTER_FRONT_PORT/readyz" 20
  log "phase $phase: $count instance(s) :${CLUSTER_INSTANCE_PORTS[*]}, HAProxy :$CLUSTER_FRONT_PORT, simulator :$SIM_PORT"
}

metric() {  # port name: the value of one metric line of that instance (0 when it does not answer)
  local v
  v=$(curl -sf -m 2 "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 == name { print $2 }' || true)
  echo "${v:-0}"
}

# The instance (1-based) whose URL the song's lease names, from the submissions table.
owner_of() {  # session
  local url i
  url=$(psql -Atq -d "$CLUSTER_DATABASE_URL" -c "SELECT owner_url FROM submissions WHERE session_id = '$1'" 2>/dev/null || true)
  for i in "${!CLUSTER_INSTANCE_PORTS[@]}"; do
    [[ $url == "http://127.0.0.1:${CLUSTER_INSTANCE_PORTS[$i]}" ]] && { echo $((i + 1)); return; }
  done
  echo 0
}

# The instance (1-based) the front sends a song's listeners to: the one with the most live listeners while four
# probes play it. An owner relaying to an edge counts the edge's one connection as a listener of its own.
listeners_instance() {  # session
  local i best=0 most=0 v probes=()
  (( ${#CLUSTER_INSTANCE_PORTS[@]} > 1 )) || { echo 1; return; }
  for i in 1 2 3 4; do
    curl -s -m 3 -o /dev/null "http://127.0.0.1:$CLUSTER_FRONT_PORT/api/stream/$1" & probes+=("$!")
  done
  sleep 1.5
  for i in "${!CLUSTER_INSTANCE_PORTS[@]}"; do
    v=$(metric "${CLUSTER_INSTANCE_PORTS[$i]}" 'serenade_listeners{state="live"}')
    if (( ${v%.*} > most )); then most=${v%.*}; best=$((i + 1)); fi
  done
  for i in "${probes[@]}"; do wait "$i" || true; done
  echo "$best"
}

# One step: n real-time listeners through the front for RT_WINDOW; CPU and peak RSS per instance, HAProxy's CPU.
cluster_step() {  # count n session
  local count=$1 n=$2 session=$3 i lg j stalled step_start step_ns r fields="" on
  local -a base peak ticks
  local haproxy_ticks
  sleep 1
  for i in "${!CLUSTER_INSTANCE_PIDS[@]}"; do
    base[i]=$(rss_kib "${CLUSTER_INSTANCE_PIDS[$i]}"); peak[i]=${base[$i]}; ticks[i]=$(cpu_ticks "${CLUSTER_INSTANCE_PIDS[$i]}")
  done
  haproxy_ticks=$(cpu_ticks "$CLUSTER_HAPROXY_PID"); step_start=$(date +%s%N)
  loadgen "$CLUSTER_FRONT_PORT" --mode realtime --path "/api/stream/$session" --connections "$n" --duration "$RT_WINDOW" \
    --rate "$RATE" --max-ramp 30 >"$WORK/cluster.json" &
  lg=$!
  while kill -0 "$lg" 2>/dev/null; do
    sleep 0.5
    for i in "${!CLUSTER_INSTANCE_PIDS[@]}"; do
      r=$(rss_kib "${CLUSTER_INSTANCE_PIDS[$i]}"); if (( r > peak[i] )); then peak[i]=$r; fi
    done
  done
  wait "$lg" || true
  step_ns=$(( $(date +%s%N) - step_start ))
  for i in "${!CLUSTER_INSTANCE_PIDS[@]}"; do
    fields+="instance$((i + 1))_cpu_pct=$(core_pct $(( $(cpu_ticks "${CLUSTER_INSTANCE_PIDS[$i]}") - ticks[i] )) "$step_ns") "
    fields+="instance$((i + 1))_rss_base_kib=${base[$i]} instance$((i + 1))_rss_peak_kib=${peak[$i]} "
  done
  fields+="haproxy_cpu_pct=$(core_pct $(( $(cpu_ticks "$CLUSTER_HAPROXY_PID") - haproxy_ticks )) "$step_ns") "
  j=$(cat "$WORK/cluster.json")
  stalled=$(json_field stalled <<<"$j")
  on=$CLUSTER_LISTENERS_ON
  record serenade "cluster_$count" "$n" "stalled=${stalled:-$n} listeners_on=$on owner=$CLUSTER_OWNER ${fields}$(from_json "$j" connected connect_failures errors failed no_first_byte ramp_s ttfb_p50_ms ttfb_p99_ms)"
  log "cluster $count instance(s) N=$n: stalled=$stalled listeners on instance$on (owner instance$CLUSTER_OWNER) $fields$j"
  CLUSTER_STALLED=${stalled:-1}
}

# A live song through the front: CLUSTER_SESSION, and where its lease (CLUSTER_OWNER) and its listeners
# (CLUSTER_LISTENERS_ON) are, as instance numbers.
cluster_song() {
  local session
  read -r session _ < <(serenade_song "$CLUSTER_FRONT_PORT")
  [[ -n "$session" ]] || { echo "no song through the front" >&2; exit 1; }
  CLUSTER_SESSION=$session
  CLUSTER_OWNER=$(owner_of "$session")
  CLUSTER_LISTENERS_ON=$(listeners_instance "$session")
}

# The failover: listeners on the owner's instance, SIGKILL, the time until the last reconnected one hears audio.
cluster_failover() {
  local tries owner survivor lg kill_ms j i cut resumed last longest seconds taken new_owner
  for tries in 1 2 3 4 5 6; do
    cluster_song
    [[ $CLUSTER_OWNER != 0 && $CLUSTER_OWNER == "$CLUSTER_LISTENERS_ON" ]] && break
    log "failover: song $CLUSTER_SESSION is owned by instance$CLUSTER_OWNER, its listeners go to instance$CLUSTER_LISTENERS_ON: another song"
  done
  owner=$CLUSTER_OWNER
  if [[ $owner == 0 || $owner != "$CLUSTER_LISTENERS_ON" ]]; then
    log "failover: no song whose listeners reach its owner in $tries tries: skipped"
    record serenade cluster_failover "$CLUSTER_FAILOVER_N" "lease_s=$CLUSTER_LEASE skipped=1"
    return
  fi
  survivor=$(( 3 - owner ))
  loadgen "$CLUSTER_FRONT_PORT" --mode realtime --path "/api/stream/$CLUSTER_SESSION" --connections "$CLUSTER_FAILOVER_N" \
    --duration "$CLUSTER_FAILOVER_WINDOW" --rate "$RATE" --prebuffer 1000000 --max-ramp 30 --reconnect-ms 250 \
    >"$WORK/failover.json" &
  lg=$!
  for _ in $(seq 1 300); do  # every listener connected (at most 30 s), then 2 s of playing
    (( $(metric "${CLUSTER_INSTANCE_PORTS[$((owner - 1))]}" 'serenade_listeners{state="live"}') >= CLUSTER_FAILOVER_N )) && break
    sleep 0.1
  done
  sleep 2
  kill_ms=$(date +%s%3N)
  # Out of the job table first: the shell would report the kill on its standard error.
  disown "${CLUSTER_INSTANCE_PIDS[$((owner - 1))]}"
  kill -9 "${CLUSTER_INSTANCE_PIDS[$((owner - 1))]}"
  log "failover: killed instance$owner (the owner of $CLUSTER_SESSION) with $CLUSTER_FAILOVER_N listeners, lease $CLUSTER_LEASE s"
  wait "$lg" || true
  j=$(cat "$WORK/failover.json")
  cut=$(json_field cut <<<"$j"); resumed=$(json_field resumed <<<"$j")
  last=$(json_field last_resume_unix_ms <<<"$j"); longest=$(json_field longest_silence_ms <<<"$j")
  seconds=$(awk -v a="${last:-0}" -v k="$kill_ms" 'BEGIN { printf "%.2f", (a > 0 ? (a - k) / 1000 : -1) }')
  taken=$(metric "${CLUSTER_INSTANCE_PORTS[$((survivor - 1))]}" serenade_songs_taken_over_total)
  new_owner=$(owner_of "$CLUSTER_SESSION")
  record serenade cluster_failover "$CLUSTER_FAILOVER_N" "lease_s=$CLUSTER_LEASE cut=${cut:-0} resumed=${resumed:-0} kill_to_last_audio_s=$seconds longest_silence_ms=${longest:-0} taken_over=${taken%.*} new_owner=$new_owner survivor=$survivor $(from_json "$j" connected errors)"
  log "failover: $resumed of $cut cut listeners heard audio again, the last $seconds s after the kill (lease $CLUSTER_LEASE s); taken over by instance$new_owner (its serenade_songs_taken_over_total $taken) $j"
}

if wanted cluster && ! ((SOAK)); then
  SERVER_THREADS=2  # per instance; the instances are not pinned, like the other live scenarios' servers
  CLUSTER_PG_STATE=$WORK/cluster-postgres.state
  cluster_postgres_start "$CLUSTER_PG_STATE"
  start_simulator cluster --speed 2 --song-seconds 600 --ready-after 0.2 --first-audio 4 --expire-after 600
  for count in 1 2; do
    start_cluster "cluster$count" "$count" "listeners$count"
    cluster_song
    for n in "${CLUSTER_STEPS[@]}"; do
      (( n <= CLUSTER_MAX_N )) || { log "N=$n is above what HAProxy's descriptors allow: skipped"; continue; }
      cluster_step "$count" "$n" "$CLUSTER_SESSION"
      (( CLUSTER_STALLED > 0 )) && break
    done
    # Only the instances and HAProxy: the simulator goes on for the next count.
    saved_sim=$SIM_PID; SIM_PID=""; stop_cluster; SIM_PID=$saved_sim
  done
  stop_cluster
  # The failover's song is generated at real time and its listeners read all there is (as the live edge's do):
  # a listener ahead of the song by seconds of audio in its socket would hear the cut only once it had played
  # them, and the figure would be its buffer instead of the takeover.
  start_simulator failover --speed 1 --piece frame --song-seconds 180 --ready-after 0.2 --first-audio 1 \
    --expire-after 600
  # Songs until one's listeners reach its owner: the per-client submission limits would refuse the later ones.
  start_cluster failover 2 failover --lease-seconds "$CLUSTER_LEASE" --submit-burst 0 --submits-per-hour 0
  cluster_failover
  stop_cluster
  stop_cluster_database
fi
