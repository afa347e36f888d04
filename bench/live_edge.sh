# Sourced by bench/run (its helpers and settings): the live edge, and the soak.
#
# One song per system and step, generated at real time with one MP3 frame per upstream chunk (simulator
# --speed 1 --piece frame). The listeners connect as soon as the song can be streamed and read whatever exists at
# once, as a browser buffers ahead (--prebuffer far above what the song holds by then), then at the song's pace:
# so every one of them sits at the live edge, and each frame Sonauto sends is news to all of them at once — the
# place every listener of a song being sung sits. A listener stalls when it falls more than --stall-seconds
# behind its own playback, which started with the audio that existed when it joined.
#   Serenade  GET /api/stream/{session}: one upstream connection for all listeners
#   nginx     proxy_pass to the simulator's stream, proxy_buffering off: one upstream connection per listener
#   Varnish   one cached object streamed while it is fetched (beresp.do_stream): one backend fetch for all
# Each system's ramp ends at its first N with stalled listeners. Baselines (--baseline) run beside this build.

VARNISHD=$(command -v varnishd || echo /usr/sbin/varnishd)
VARNISH_PID=""
LABEL[varnish]=Varnish

varnish_pids() { [[ -n "$VARNISH_PID" ]] && echo "$VARNISH_PID" $(pgrep -P "$VARNISH_PID" 2>/dev/null || true); }

stop_varnish() {
  [[ -n "$VARNISH_PID" ]] || return 0
  kill "$VARNISH_PID" 2>/dev/null || true; wait "$VARNISH_PID" 2>/dev/null || true; VARNISH_PID=""
}

# Varnish in front of the simulator's stream: /live/<task> is cached as one object per task and streamed to
# every client while its single backend fetch goes on (request coalescing puts the others on the busy object).
start_varnish() {  # phase
  local dir=$WORK/$1/varnish
  mkdir -p "$dir"
  VARNISH_PORT=$(free_port)
  cat >"$dir/bench.vcl" <<VCL
vcl 4.1;
backend simulator {
  .host = "127.0.0.1";
  .port = "$SIM_PORT";
  .first_byte_timeout = 60s;
  .between_bytes_timeout = 60s;
}
sub vcl_recv {
  if (req.url !~ "^/live/") { return (synth(404)); }
  set req.url = regsub(req.url, "^/live/", "/stream/");
  return (hash);
}
sub vcl_backend_fetch { set bereq.http.Authorization = "Bearer $KEY"; }
sub vcl_backend_response {
  # The stream says no-cache: without this the built-in VCL would give every client its own fetch.
  set beresp.do_stream = true;
  set beresp.ttl = 1h;
  set beresp.grace = 0s;
  return (deliver);
}
VCL
  # One worker thread per streaming client: the pools may grow as far as the descriptors allow.
  "$VARNISHD" -F -j none -n "$dir/state" -a "127.0.0.1:$VARNISH_PORT" -f "$dir/bench.vcl" -s malloc,2g \
    -p thread_pools=2 -p thread_pool_min=100 -p "thread_pool_max=$(( MAX_N / 2 + 100 ))" -p timeout_idle=60 \
    >"$dir/varnishd.log" 2>&1 &
  VARNISH_PID=$!; PIDS+=("$VARNISH_PID")
  local deadline=$(( $(date +%s) + 30 ))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$VARNISH_PORT/nothing" || true) == 404 ]]; do
    (( $(date +%s) < deadline )) || { echo "varnishd did not start" >&2; cat "$dir/varnishd.log" >&2; exit 1; }
    sleep 0.2
  done
  PORT[varnish]=$VARNISH_PORT
}

sim_status() { curl -sf -m 2 "http://127.0.0.1:$SIM_PORT/_sim/tasks/$1" | json_field status; }

# A fresh song for one system, streamable now; prints "path task".
edge_song() {  # system
  local session task
  if [[ -n "${BINARY[$1]:-}" ]]; then
    read -r session task < <(serenade_song "${PORT[$1]}")
    [[ -n "$session" ]] || { echo "no song from Serenade" >&2; exit 1; }
    echo "/api/stream/$session $task"
    return
  fi
  task=$(sim_song)
  [[ -n "$task" ]] || { echo "no simulator song" >&2; exit 1; }
  for _ in $(seq 1 300); do
    [[ $(sim_status "$task") == GENERATING_STREAMING_READY ]] && break
    sleep 0.05
  done
  echo "/live/$task $task"
}

# One step: N listeners at the edge of a fresh song of `system` for `window` seconds; records scenario `scen`.
# RSS is sampled every half second (peak) and kept every ~10 s in $WORK/rss-samples for the soak's verdict.
edge_step() {  # system n window scen
  local sys=$1 n=$2 window=$3 scen=$4 pids path task base peak r lg j stalled per server_ticks step_start step_ns
  local server_cpu sim_ticks sim_cpu upstream ticks=0
  case $sys in
    nginx) pids=$(nginx_pids) ;;
    varnish) pids=$(varnish_pids) ;;
    *) pids="${PID[$sys]}" ;;
  esac
  sleep 1
  base=$(rss_kib $pids)
  [[ -n "${EDGE_IDLE_RSS[$sys]:-}" ]] || EDGE_IDLE_RSS[$sys]=$base
  read -r path task < <(edge_song "$sys")
  server_ticks=$(cpu_ticks $pids); sim_ticks=$(cpu_ticks "$SIM_PID"); step_start=$(date +%s%N)
  loadgen "${PORT[$sys]}" --mode realtime --path "$path" --connections "$n" --duration "$window" --rate "$RATE" \
    --prebuffer 1000000 --max-ramp 30 >"$WORK/edge.json" &
  lg=$!
  peak=$base
  : >"$WORK/rss-samples"
  while kill -0 "$lg" 2>/dev/null; do
    sleep 0.5
    [[ $sys == nginx ]] && pids=$(nginx_pids)
    [[ $sys == varnish ]] && pids=$(varnish_pids)
    r=$(rss_kib $pids); if (( r > peak )); then peak=$r; fi
    if (( ticks++ % 20 == 0 )); then echo "$(( ($(date +%s%N) - step_start) / 1000000000 )) $r" >>"$WORK/rss-samples"; fi
  done
  wait "$lg" || true
  step_ns=$(( $(date +%s%N) - step_start ))
  server_cpu=$(core_pct $(( $(cpu_ticks $pids) - server_ticks )) "$step_ns")
  sim_cpu=$(core_pct $(( $(cpu_ticks "$SIM_PID") - sim_ticks )) "$step_ns")
  upstream=$(curl -sf -m 5 "http://127.0.0.1:$SIM_PORT/_sim/tasks/$task" | json_field stream_connections_total || true)
  j=$(cat "$WORK/edge.json")
  stalled=$(json_field stalled <<<"$j")
  per=$(( (peak - EDGE_IDLE_RSS[$sys]) * 1024 / n ))
  record "$sys" "$scen" "$n" "stalled=$stalled rss_idle_kib=${EDGE_IDLE_RSS[$sys]} rss_peak_kib=$peak rss_per_listener_b=$per server_cpu_pct=$server_cpu simulator_cpu_pct=$sim_cpu upstream_connections=${upstream:-0} $(from_json "$j" connected connect_failures bytes_per_s errors failed no_first_byte ramp_s)"
  log "$scen ${LABEL[$sys]} N=$n: stalled=$stalled rss ${base}->${peak} KiB cpu: server ${server_cpu} %, simulator ${sim_cpu} % upstream connections ${upstream:-?} $j"
  EDGE_STALLED=${stalled:-1}
}

declare -A EDGE_IDLE_RSS=()
if wanted live_edge || ((SOAK)); then
  SERVER_CPU="" SERVER_THREADS=2
  # A song per step: the per-client submission limits would refuse the ramp's later songs.
  SERENADE_EXTRA_ARGS=(--submit-burst 0 --submits-per-hour 0)
  song_seconds=180; ((SOAK)) && song_seconds=$(( SOAK + 120 ))
  start_stack edge --speed 1 --piece frame --song-seconds "$song_seconds" --ready-after 0.2 --first-audio 1 \
    --finish-delay 1 --expire-after 600
  if ((SOAK)); then
    n=${BENCH_SOAK_N:-5000}
    log "soak: $n listeners at the live edge for $SOAK s"
    edge_step serenade "$n" "$SOAK" soak
    cp "$WORK/rss-samples" "$OUT/soak-rss.dat"
    # RSS over the run, sampled every ~10 s: the first sample once the listeners have joined (the second), the
    # last and the highest.
    read -r rss_first rss_last rss_max < <(awk 'NR == 2 { f = $2 } { l = $2; if ($2 > m) m = $2 } END { print f + 0, l + 0, m + 0 }' "$OUT/soak-rss.dat")
    record serenade soak_rss "$n" "rss_first_kib=$rss_first rss_last_kib=$rss_last rss_max_kib=$rss_max seconds=$SOAK"
  else
    start_varnish edge
    declare -A EDGE_DONE=()
    for n in "${EDGE_STEPS[@]}"; do
      (( n <= MAX_N )) || { log "N=$n is above the descriptor limit ($HARD_NOFILE): skipped"; continue; }
      for sys in "${SERENADES[@]}" nginx varnish; do
        [[ -n "${EDGE_DONE[$sys]:-}" ]] && continue
        edge_step "$sys" "$n" "$RT_WINDOW" live_edge
        (( EDGE_STALLED > 0 )) && EDGE_DONE[$sys]=1
      done
    done
    stop_varnish
  fi
  SERENADE_EXTRA_ARGS=()
  stop_stack
fi
