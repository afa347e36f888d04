# Sourced by bench/run: one client (127.0.0.2) opens connections as fast as it can, up to the server's limit, and
# holds them, while 100 real-time listeners (each from its own address, 127.0.1.x) play a song and a songwriter
# (127.0.0.3) orders a song every half second, each waiting up to 10 s for its answer. Per system: stalled listeners, the songwriter's answers (201 or an
# honest 429 count as answered), and what the abuser got (refused with 429 or 503, held at the end).

abuser_step() {  # system
  local sys=$1 path task window=$RT_WINDOW limit=$SERVER_MAX_CONNECTIONS abuser listeners j a ok=0 limited=0 other=0 code
  read -r path task < <(edge_song "$sys")
  loadgen "${PORT[$sys]}" --mode hold --source 127.0.0.2 --path / --connections "$limit" --duration "$(( window + 4 ))" \
    --max-ramp 10 >"$WORK/abuser.json" &
  abuser=$!
  sleep 2  # the abuser's connections come first: the listeners arrive at a server it is filling
  loadgen "${PORT[$sys]}" --mode realtime --source-prefix 127.0.1. --path "$path" --connections 100 \
    --duration "$window" --rate "$RATE" --max-ramp 10 >"$WORK/abused-listeners.json" &
  listeners=$!
  for _ in $(seq 1 $(( window * 2 ))); do  # bounded: two songs a second for the window, each answered within 10 s
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 --interface 127.0.0.3 -X POST \
      "http://127.0.0.1:${PORT[$sys]}/api/submissions" -H 'Content-Type: application/json' \
      -d '{"sender":"Bench","recipient":"Listener","story":"A song ordered while an abuser holds connections.","style":"pop"}' || true)
    case $code in 201) ok=$((ok + 1)) ;; 429) limited=$((limited + 1)) ;; *) other=$((other + 1)) ;; esac
    sleep 0.5
  done
  wait "$listeners" || true
  wait "$abuser" || true
  j=$(cat "$WORK/abused-listeners.json"); a=$(cat "$WORK/abuser.json")
  record "$sys" abuser 100 "stalled=$(json_field stalled <<<"$j") songs_created=$ok songs_limited=$limited songs_unanswered=$other abuser_attempts=$(json_field hold_attempts <<<"$a") abuser_refused_429=$(json_field refused_429 <<<"$a") abuser_refused_503=$(json_field refused_503 <<<"$a") abuser_closed=$(json_field closed_by_server <<<"$a") abuser_held=$(json_field held <<<"$a") $(from_json "$j" connected errors failed no_first_byte)"
  log "abuser ${LABEL[$sys]}: listeners $j; songs 201=$ok 429=$limited other=$other; abuser $a"
}

if wanted abuser && ! ((SOAK)); then
  SERVER_CPU="" SERVER_THREADS=2
  CLIENT_SHARES_ENV=()
  saved_max_connections=$SERVER_MAX_CONNECTIONS; SERVER_MAX_CONNECTIONS=2000
  start_stack abuser --speed 1 --song-seconds 180 --ready-after 0.2 --first-audio 1 --expire-after 600
  for sys in "${SERENADES[@]}"; do abuser_step "$sys"; done
  stop_stack
  SERVER_MAX_CONNECTIONS=$saved_max_connections
  CLIENT_SHARES_ENV=(SERENADE_MAX_CONNECTIONS_PER_CLIENT=0 SERENADE_MAX_STREAMS_PER_CLIENT=0)
fi
