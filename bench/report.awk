# bench/run's report: reads results.tsv (system, scenario, n, key=value...) and writes table.md, results.json
# and realtime.dat (for plot.gp); prints the table. -v baselines="baseline1=<commit>,...": the Serenade
# builds measured beside this one, shown before it in the table.
BEGIN { FS = "\t" }
{
  sys = $1; scen = $2; n = $3 + 0
  line[NR] = $0
  split($4, kv, " ")
  delete f
  for (i in kv) { split(kv[i], p, "="); if (p[1] != "") f[p[1]] = p[2] }
  key = sys SUBSEP scen
  if (scen == "fast_live" || scen == "static_whole") { sum[key] += f["bytes_per_s"]; cnt[key]++ }
  if (scen == "static_range") { sum[key] += f["requests_per_s"]; cnt[key]++ }
  if (scen == "ttfb_ready") { sum[key] += f["ttfb_p99_ms"]; cnt[key]++; p50[key] += f["ttfb_p50_ms"] }
  if (scen == "realtime") {
    ns[n] = 1
    st[sys, n] = f["stalled"]; rss[sys, n] = f["rss_peak_kib"]; per[sys, n] = f["rss_per_listener_b"]
    if ("server_cpu_pct" in f) cpu[sys, n] = f["server_cpu_pct"] " % / " f["simulator_cpu_pct"] " % (" f["simulator_cpu_peak_pct"] " %)"
    if ("tcp_mem_peak_kib" in f) tcpmem[sys, n] = sprintf("%.0f MiB", f["tcp_mem_peak_kib"] / 1024)
    if (f["stalled"] == 0 && n > best[sys]) { best[sys] = n; bestper[sys] = f["rss_per_listener_b"] }
    if (n <= 1000 && n >= upn[sys]) { upn[sys] = n; up[sys] = f["upstream_open_max"] }
  }
  if (scen == "live_edge") {
    ens[n] = 1; systems_at_edge[sys] = 1
    est[sys, n] = f["stalled"]; ecpu[sys, n] = f["server_cpu_pct"]; esim[sys, n] = f["simulator_cpu_pct"]
    eup[sys, n] = f["upstream_connections"]; eper[sys, n] = f["rss_per_listener_b"]; eramp[sys, n] = f["ramp_s"]
    if (f["stalled"] == 0 && n > ebest[sys]) ebest[sys] = n
  }
  if (scen == "abuser") {
    abuse_rows = abuse_rows sprintf("| %s | %s of %d | %s created, %s limited (429), %s unanswered | %s refused with 429, %s with 503, %s closed, %s held at the end (of %s attempts) |\n",
                                    sys, f["stalled"], n, f["songs_created"], f["songs_limited"], f["songs_unanswered"],
                                    f["abuser_refused_429"], f["abuser_refused_503"], f["abuser_closed"], f["abuser_held"], f["abuser_attempts"])
  }
  if (scen == "cluster_1" || scen == "cluster_2") {
    c = substr(scen, 9) + 0; cns[n] = 1; cst[c, n] = f["stalled"]; cttfb[c, n] = sprintf("%.2f s", f["ttfb_p99_ms"] / 1000); crole[c, n] = f["listeners_on"] == f["owner"] ? "owner" : "edge"
    ccpu[c, n] = ""; crss[c, n] = ""
    for (i = 1; i <= c; i++) {
      ccpu[c, n] = ccpu[c, n] f["instance" i "_cpu_pct"] " % / "
      crss[c, n] = crss[c, n] (i > 1 ? " / " : "") sprintf("%.1f MiB", f["instance" i "_rss_peak_kib"] / 1024)
    }
    ccpu[c, n] = ccpu[c, n] f["haproxy_cpu_pct"] " %"
    if (f["stalled"] == 0 && n > cbest[c]) cbest[c] = n
  }
  if (scen == "cluster_failover") {
    if (f["skipped"]) failover = sprintf("\nFailover (lease %s s): skipped, no song's listeners reached its owner.\n", f["lease_s"])
    else if (f["cut"] == 0) failover = sprintf("\nFailover (lease %s s): no listener was cut, so no figure: they were not on the instance killed.\n", f["lease_s"])
    else failover = sprintf("\nFailover (two instances, lease %s s): %d listeners at the live edge of a song on the instance that owns it, killed with SIGKILL; %s of %s cut listeners heard audio again after reconnecting through the front, **the last %s s after the kill** (longest silence of one listener %.1f s); the song was taken over by the other instance (its serenade_songs_taken_over_total: %s).\n",
                            f["lease_s"], n, f["resumed"], f["cut"], f["kill_to_last_audio_s"], f["longest_silence_ms"] / 1000, f["taken_over"])
  }
  if (scen == "soak") { soak_n = n; soak_stalled = f["stalled"]; soak_errors = f["errors"] + f["failed"]; soak_cpu = f["server_cpu_pct"] }
  if (scen == "soak_rss") { soak_first = f["rss_first_kib"]; soak_last = f["rss_last_kib"]; soak_max = f["rss_max_kib"]; soak_s = f["seconds"] }
  json = json (json == "" ? "" : ",\n    ") "{\"system\":\"" sys "\",\"scenario\":\"" scen "\",\"n\":" n
  for (k in f) json = json ",\"" k "\":" (f[k] ~ /^-?[0-9.]+$/ ? f[k] : "\"" f[k] "\"")
  json = json "}"
}
function avg(s, c) { return cnt[s SUBSEP c] ? sum[s SUBSEP c] / cnt[s SUBSEP c] : 0 }
function has(s, c) { return cnt[s SUBSEP c] > 0 }
function ratio(a, b) { return b > 0 ? sprintf("%.2f×", a / b) : "n/a" }
function mbs(x) { return sprintf("%.1f MB/s", x / 1e6) }
# One figure of one system, formatted; "–" when that system did not run the scenario.
function cell(s, c, kind) {
  if (!has(s, c)) return "–"
  if (kind == "bytes") return mbs(avg(s, c))
  if (kind == "ms") return sprintf("%.3f ms", avg(s, c))
  return sprintf("%.0f", avg(s, c))
}
# Serenade against another system: a ratio for throughput, a difference for latency.
function compare(a, b, c, kind) {
  if (!has(a, c) || !has(b, c)) return "n/a"
  if (kind == "ms") return sprintf("%+.3f ms", avg(a, c) - avg(b, c))
  return ratio(avg(a, c), avg(b, c))
}
# The baseline columns of a row: each baseline's figure, before this build's.
function baseline_cells(c, kind,   i, out) {
  out = ""
  for (i = 1; i <= nb; i++) out = out " " cell(bsys[i], c, kind) " |"
  return out
}
function vs_baseline(c, kind) { return nb ? " " compare("serenade", bsys[1], c, kind) " |" : "" }
function row(name, figure, c, kind, target) {
  return sprintf("| %s | %s |%s %s | %s | %s |%s %s |\n", name, figure, baseline_cells(c, kind), cell("serenade", c, kind),
                 cell("nginx", c, kind), compare("serenade", "nginx", c, kind), vs_baseline(c, kind), target)
}
function blanks(   i, out) { out = ""; for (i = 1; i <= nb; i++) out = out " – |"; return out }
END {
  # baselines="baseline1=abc1234,baseline2=def5678": their TSV system names and labels, in order.
  nb = split(baselines, pairs, ",")
  for (i = 1; i <= nb; i++) { split(pairs[i], kv2, "="); bsys[i] = kv2[1]; blabel[i] = kv2[2] }
  head = "| scenario | figure |"; rule = "|---|---|"
  for (i = 1; i <= nb; i++) { head = head " Serenade " blabel[i] " |"; rule = rule "---:|" }
  head = head " Serenade | nginx | Serenade / nginx |"; rule = rule "---:|---:|---:|"
  if (nb) { head = head " Serenade / " blabel[1] " |"; rule = rule "---:|" }
  t = head " target |\n" rule "---|\n"
  # nginx may have stopped below Serenade's N (its first stalled step ends its ramp): then say at which N.
  ngx_up = up["nginx"] == "" ? "n/a" : up["nginx"] (upn["nginx"] != upn["serenade"] ? " (at N=" upn["nginx"] ")" : "")
  t = t sprintf("| %d listeners on one live song | upstream connections |%s %s | %s | |%s 1 (nginx: N) |\n",
                upn["serenade"], blanks(), up["serenade"] == "" ? "n/a" : up["serenade"], ngx_up, nb ? " |" : "")
  t = t row("fast readers, live pass-through", "bytes/s", "fast_live", "bytes", "≥ 1.0×")
  t = t row("finished song, random 64 KiB ranges", "requests/s", "static_range", "count", "≥ 1.0×")
  t = t row("finished song, whole-file reads", "bytes/s", "static_whole", "bytes", "≥ 0.9×")
  a = best["serenade"] + 0; b = best["nginx"] + 0
  t = t sprintf("| real-time listeners behind the live edge (song at 2× real time) | largest N with zero stalled |%s %d | %d | %s |%s ≥ 2× and ≥ 10,000 |\n",
                blanks(), a, b, ratio(a, b), nb ? " |" : "")
  t = t sprintf("| same | server RSS per listener |%s %.1f KiB | %.1f KiB | %s |%s ≤ 16 KiB |\n", blanks(),
                bestper["serenade"] / 1024, bestper["nginx"] / 1024, ratio(bestper["serenade"], bestper["nginx"]), nb ? " |" : "")
  t = t row("ready song, first byte", "p99 time to first byte", "ttfb_ready", "ms", "≤ nginx's + 1 ms")
  if (nb) t = t "\nBaselines are Serenade built from the named commits, measured in this run beside this build (not in the real-time ramp).\n"
  t = t "\nReal-time ramp: stalled listeners; server RSS; CPU over the step in percent of one core, the server's / the simulator's (the upstream feeding it; its busiest half second in brackets); the peak of the kernel's TCP memory (both ends of every loopback connection):\n\n| N | Serenade stalled | Serenade RSS | Serenade / simulator CPU | TCP memory | nginx stalled | nginx RSS | nginx / simulator CPU | TCP memory |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
  m = 0; for (n in ns) sorted[++m] = n + 0
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (sorted[j] < sorted[i]) { x = sorted[i]; sorted[i] = sorted[j]; sorted[j] = x }
  dat = out "/realtime.dat"
  print "# N serenade_stalled serenade_rss_mib nginx_stalled nginx_rss_mib" > dat
  for (i = 1; i <= m; i++) {
    n = sorted[i]
    t = t sprintf("| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", n,
                  (("serenade", n) in st) ? st["serenade", n] : "–", (("serenade", n) in rss) ? sprintf("%.1f MiB", rss["serenade", n] / 1024) : "–",
                  (("serenade", n) in cpu) ? cpu["serenade", n] : "–", (("serenade", n) in tcpmem) ? tcpmem["serenade", n] : "–",
                  (("nginx", n) in st) ? st["nginx", n] : "–", (("nginx", n) in rss) ? sprintf("%.1f MiB", rss["nginx", n] / 1024) : "–",
                  (("nginx", n) in cpu) ? cpu["nginx", n] : "–", (("nginx", n) in tcpmem) ? tcpmem["nginx", n] : "–")
    printf "%d %s %s %s %s\n", n,
           (("serenade", n) in st) ? st["serenade", n] : "?", (("serenade", n) in rss) ? rss["serenade", n] / 1024 : "?",
           (("nginx", n) in st) ? st["nginx", n] : "?", (("nginx", n) in rss) ? rss["nginx", n] / 1024 : "?" > dat
  }
  if (length(ens)) t = t edge_tables()
  if (abuse_rows != "") t = t "\nAn abuser beside listeners (one address opens connections up to the server's limit and holds them; 100 real-time listeners from their own addresses; a songwriter orders a song every 0.5 s):\n\n| system | stalled listeners | songwriter | abuser |\n|---|---|---|---|\n" abuse_rows
  if (length(cns)) t = t cluster_table()
  if (failover != "") t = t failover
  if (soak_n) t = t sprintf("\nSoak: %d listeners at the live edge for %d s: %d stalled, %d errors, server CPU %s %% of one core; RSS first %.1f MiB, last %.1f MiB, highest %.1f MiB (samples every 10 s in soak-rss.dat).\n", soak_n, soak_s, soak_stalled, soak_errors, soak_cpu, soak_first / 1024, soak_last / 1024, soak_max / 1024)
  header = "Machine: " machine " (" mode " run, " date ")\n\n"
  printf "%s%s", header, t > (out "/table.md")
  printf "\n%s%s\n", header, t
  micro_text = ""
  while ((getline l < micro) > 0) micro_text = micro_text l "\n"
  if (micro_text == "") micro_text = "null"
  js = out "/results.json"
  printf "{\n  \"machine\": \"%s\",\n  \"mode\": \"%s\",\n  \"runs\": [\n    %s\n  ],\n", machine, mode, json > js
  printf "  \"summary\": {\"upstream_connections\": {\"serenade\": %s, \"nginx\": %s, \"n\": %d},\n", up["serenade"] + 0, up["nginx"] + 0, upn["serenade"] > js
  printf "    \"fast_live_bytes_per_s\": {\"serenade\": %.0f, \"nginx\": %.0f},\n", avg("serenade", "fast_live"), avg("nginx", "fast_live") > js
  printf "    \"static_range_requests_per_s\": {\"serenade\": %.1f, \"nginx\": %.1f},\n", avg("serenade", "static_range"), avg("nginx", "static_range") > js
  printf "    \"static_whole_bytes_per_s\": {\"serenade\": %.0f, \"nginx\": %.0f},\n", avg("serenade", "static_whole"), avg("nginx", "static_whole") > js
  printf "    \"realtime_largest_n_zero_stalled\": {\"serenade\": %d, \"nginx\": %d},\n", best["serenade"], best["nginx"] > js
  printf "    \"live_edge_largest_n_zero_stalled\": {\"serenade\": %d, \"nginx\": %d, \"varnish\": %d},\n", ebest["serenade"], ebest["nginx"], ebest["varnish"] > js
  printf "    \"cluster_largest_n_zero_stalled\": {\"one_instance\": %d, \"two_instances\": %d},\n", cbest[1], cbest[2] > js
  printf "    \"rss_per_listener_bytes\": {\"serenade\": %d, \"nginx\": %d},\n", bestper["serenade"], bestper["nginx"] > js
  printf "    \"ttfb_ready_p99_ms\": {\"serenade\": %.3f, \"nginx\": %.3f}},\n", avg("serenade", "ttfb_ready"), avg("nginx", "ttfb_ready") > js
  printf "  \"baselines\": [" > js
  for (i = 1; i <= nb; i++) {
    printf "%s\n    {\"system\": \"%s\", \"commit\": \"%s\", \"fast_live_bytes_per_s\": %.0f, \"static_range_requests_per_s\": %.1f, \"static_whole_bytes_per_s\": %.0f, \"ttfb_ready_p99_ms\": %.3f}",
           (i > 1 ? "," : ""), bsys[i], blabel[i], avg(bsys[i], "fast_live"), avg(bsys[i], "static_range"),
           avg(bsys[i], "static_whole"), avg(bsys[i], "ttfb_ready") > js
  }
  printf "%s],\n", (nb ? "\n  " : "") > js
  printf "  \"micro\": %s}\n", micro_text > js
}

# The live edge: per system its largest N with zero stalled and what it cost there, then every step.
function edge_tables(   out, i, m, n, sys, k, sorted2, names, bounds, x, j, order, no, cells, head, rule, top_step) {
  names["serenade"] = "Serenade"; names["nginx"] = "nginx (proxy, buffering off)"; names["varnish"] = "Varnish (one streamed object)"
  bounds["serenade"] = "the server's CPU: one upstream connection, every listener woken per step"
  bounds["nginx"] = "one upstream connection per listener: the simulator sends every frame N times"
  bounds["varnish"] = "a worker thread per client, each woken per frame"
  out = "\nReal-time listeners at the live edge (song generated at real time, one MP3 frame per upstream chunk; listeners join within their read-ahead, so each waits on every new piece). CPU in percent of one core over the step; per 1,000 listeners = CPU / N × 1000:\n\n"
  out = out "| system | largest N with zero stalled | server CPU there | CPU per 1,000 listeners | RSS per listener | upstream connections | bound |\n|---|---:|---:|---:|---:|---:|---|\n"
  top_step = 0; for (n in ens) if (n + 0 > top_step) top_step = n + 0
  no = 0
  for (k = 1; k <= nb; k++) { order[++no] = bsys[k]; names[bsys[k]] = "Serenade " blabel[k]; bounds[bsys[k]] = bounds["serenade"] }
  order[++no] = "serenade"; order[++no] = "nginx"; order[++no] = "varnish"
  for (k = 1; k <= no; k++) {
    sys = order[k]
    if (!(sys in systems_at_edge)) continue
    n = ebest[sys] + 0
    if (n == 0) { out = out sprintf("| %s | 0 | – | – | – | – | %s |\n", names[sys], bounds[sys]); continue }
    if (n == top_step) bounds[sys] = "not reached: the ramp's top"
    out = out sprintf("| %s | %d | %s %% | %.1f %% | %.1f KiB | %s | %s |\n", names[sys], n, ecpu[sys, n], ecpu[sys, n] * 1000 / n,
                      eper[sys, n] / 1024, eup[sys, n], bounds[sys])
  }
  head = "| N |"; rule = "|---:|"
  for (k = 1; k <= no; k++) { head = head " " names[order[k]] " stalled | CPU |"; rule = rule "---:|---:|" }
  out = out "\n" head "\n" rule "\n"
  m = 0; for (n in ens) sorted2[++m] = n + 0
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (sorted2[j] < sorted2[i]) { x = sorted2[i]; sorted2[i] = sorted2[j]; sorted2[j] = x }
  for (i = 1; i <= m; i++) {
    n = sorted2[i]; cells = "| " n " |"
    for (k = 1; k <= no; k++) {
      sys = order[k]
      if (!((sys, n) in est)) { cells = cells " – | – |"; continue }
      cells = cells " " est[sys, n] " | " ecpu[sys, n] " %" (sys == "nginx" ? " (simulator " esim[sys, n] " %)" : "") " |"
    }
    out = out cells "\n"
  }
  return out
}

# The cluster: one instance and two side by side at each N, behind HAProxy (deploy/haproxy.cfg).
function cluster_table(   out, m, i, j, x, n, sorted3, c, cells) {
  out = sprintf("\nSerenade behind HAProxy (deploy/haproxy.cfg), instances sharing one PostgreSQL 15; real-time listeners of one live song (2× real time) through the front. Largest N with zero stalled: one instance %d, two instances %d. A listener without its first byte within 2 s counts as stalled; first byte: p99. CPU in percent of one core over the step, per instance / HAProxy; peak RSS per instance; \"on\": whether the front sent the listeners to the song's owner or to an edge relaying from it:\n\n", cbest[1], cbest[2])
  out = out "| N | 1 instance: stalled | first byte | CPU | RSS | 2 instances: stalled | first byte | CPU | RSS | on |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
  m = 0; for (n in cns) sorted3[++m] = n + 0
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (sorted3[j] < sorted3[i]) { x = sorted3[i]; sorted3[i] = sorted3[j]; sorted3[j] = x }
  for (i = 1; i <= m; i++) {
    n = sorted3[i]; cells = "| " n " |"
    for (c = 1; c <= 2; c++) {
      if (!((c, n) in cst)) { cells = cells " – | – | – | – |"; continue }
      cells = cells " " cst[c, n] " | " cttfb[c, n] " | " ccpu[c, n] " | " crss[c, n] " |"
    }
    out = out cells " " (((2, n) in crole) ? crole[2, n] : "–") " |\n"
  }
  return out
}
