#include "app/serve.hpp"

#include "api/events_route.hpp"
#include "api/finished_songs.hpp"
#include "api/http_answers.hpp"
#include "api/stream_shares.hpp"
#include "api/metrics.hpp"
#include "api/relay_key.hpp"
#include "api/routes.hpp"
#include "api/submission_view.hpp"
#include "api/webhooks.hpp"
#include "app/io_threads.hpp"
#include "app/memory_release_loop.hpp"
#include "app/settings.hpp"
#include "app/shutdown.hpp"
#include "archive/song_copies.hpp"
#include "card/card_files.hpp"
#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/open_files.hpp"
#include "core/private_files.hpp"
#include "core/task_group.hpp"
#include "http/server.hpp"
#include "http/static_site.hpp"
#include "lifecycle/finaliser.hpp"
#include "lifecycle/ownership.hpp"
#include "lifecycle/status_events.hpp"
#include "lifecycle/submissions.hpp"
#include "lifecycle/task_status.hpp"
#include "lifecycle/credits.hpp"
#include "live/hub_table.hpp"
#include "sim/simulator.hpp"
#include "sonauto/client.hpp"
#include "store/pg_change_feed.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <set>

#ifndef SERENADE_WEB_DIR
#define SERENADE_WEB_DIR "web"
#endif

namespace serenade::app {

namespace asio = boost::asio;

namespace {

// Without a key a newcomer still hears a song: the simulator runs in-process on a free loopback port and the
// configuration points at it. It keeps the fast timeline (ready after 3 s, 60 s songs at twice real time), not
// the real service's 15 s wait and minutes-long songs: a first try should sing at once, and the browser tests
// that run `serenade serve` without a key rely on it.
std::unique_ptr<sim::simulator> start_simulator_without_key(core::serve_config& config,
                                                            const asio::any_io_executor& executor) {
  if (!config.sonauto_api_key.empty()) return nullptr;
  sim::simulator_options options;
  sim::use_fast_timeline(options);
  options.listen = "127.0.0.1:0";
  options.api_key = "sksonauto_sim_" + ids::random_token();
  auto simulator = std::make_unique<sim::simulator>(executor, options);
  const auto base = "http://127.0.0.1:" + std::to_string(simulator->start());
  config.sonauto_api_key = options.api_key;
  config.sonauto_api_base = base + "/v1";
  config.sonauto_stream_base = base;
  SERENADE_LOG(info, "sonauto_simulator", "reason", "SONAUTO_API_KEY is not set");
  return simulator;
}

// Before anything writes to the archive: what a previous run left half-written and nobody will continue.
void remove_dead_temporary_files(store::submission_store& store, const core::serve_config& config) {
  std::set<std::string, std::less<>> resumable;
  for (auto& s : store.unfinished()) resumable.insert(std::move(s.session_id));
  const auto removed = archive::remove_dead_temporary_files(config.capture_dir, config.archive_dir, resumable);
  SERENADE_LOG(info, "temporary_files_removed", "count", removed);
}

// Where other instances reach this one: the configured URL, else the listening address unless it is a wildcard
// (which names no machine). Empty: they cannot, and each opens its own Sonauto stream for its listeners.
std::string advertised_url(const core::serve_config& config, std::uint16_t port) {
  if (!config.advertise_url.empty()) return config.advertise_url;
  const auto& host = config.listen_parsed.host;
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    SERENADE_LOG(warn, "no_advertise_url", "reason", "wildcard listen address",
                 "effect", "listeners of songs owned by another instance open their own Sonauto stream");
    return {};
  }
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// A change another instance made (heard from the database): a song taken back there is let go here too (`held`:
// this process follows it, captures or relays it, or keeps its finished copy open), and the song's state as the
// store has it now goes to this process's readers of its events.
asio::awaitable<void> heard_change(lifecycle::submissions& submissions, lifecycle::status_events& events,
                                   std::function<std::string(const store::submission&)> render,
                                   std::string session_id, bool held) {
  const auto song = co_await submissions.find(session_id);
  if (!song) co_return;
  if (held && song->deleted_at) submissions.let_go_taken_back(session_id);
  if (events.knows(session_id)) {
    events.publish_heard(session_id, render(*song), lifecycle::is_finished(song->status));
  }
}

core::task_group::ended_handler log_failure(std::string_view event) {
  return [event](std::exception_ptr error) {
    if (error) log::failure(error, event);
  };
}

}  // namespace

int run_serve(core::serve_config config) {
  core::keep_new_files_private();
  // Every connection, song kept open and upstream connection is a descriptor (core/open_files.hpp).
  const auto files = core::raise_open_files_limit();
  constexpr std::uint64_t reserved_files = api::finished_songs::default_capacity + 256;
  constexpr std::uint64_t fewest_connections = 64;
  if (auto problem = core::open_files_problem(config.max_connections, reserved_files, files)) {
    // The default is only a ceiling: on a machine with a lower limit it shrinks to fit, so that the service
    // starts as it comes. A value somebody chose is refused instead, with what to change.
    const bool defaulted = config.max_connections == core::serve_config{}.max_connections;
    if (!defaulted || files.soft < reserved_files + fewest_connections) {
      std::fprintf(stderr, "serenade: %s\n", problem->c_str());
      return 2;
    }
    config.max_connections = static_cast<unsigned>(files.soft - reserved_files);
    SERENADE_LOG(warn, "max_connections_lowered", "max_connections", config.max_connections, "open_files",
                 files.soft);
  }
  SERENADE_LOG(info, "open_files_limit", "soft", files.soft, "hard", files.hard);
  io_threads threads(config.threads);
  const auto executor = threads.main_executor();
  auto simulator = start_simulator_without_key(config, executor);

  // Storage and the pools that keep blocking work off the I/O threads: the database's, and the disk's (capture
  // and download writes, replay checks, fsyncs) so that a slow disk holds neither.
  auto store = store::open_store(config.database_url);
  SERENADE_LOG(info, "store_open", "schema_version", store->schema_version());
  core::make_folder_private(config.archive_dir);
  if (config.capture_dir != config.archive_dir) core::make_folder_private(config.capture_dir);
  remove_dead_temporary_files(*store, config);
  core::blocking_pool db_pool(2);
  core::blocking_pool disk_pool(2);
  // Share cards are drawn on a thread of their own: a burst of link previews never delays a capture's writes.
  core::blocking_pool card_pool(1);
  core::task_group background;

  // Upstream, capture and finalisation.
  auto sonauto_options = sonauto_settings(config);
  sonauto_options.disk = &disk_pool;
  sonauto::client sonauto(sonauto_options);
  auto hub_options = hub_settings(config);
  hub_options.disk = &disk_pool;
  // A shared database: each song's work is done by the one instance holding its lease (set below), and the other
  // instances relay the song from it to their listeners.
  std::unique_ptr<lifecycle::ownership> leases;
  const auto token = api::webhook_token(config.webhook_token, config.archive_dir);
  if (store->shared()) {
    hub_options.origin = [&leases](std::string session_id) { return leases->relay_for(std::move(session_id)); };
    hub_options.origin_headers = {{std::string(api::relay_header), api::relay_key(token)}};
  }
  live::hub_table hubs(executor, sonauto, hub_options, background);
  lifecycle::finaliser_counters final_counters;
  lifecycle::finaliser finaliser(executor, sonauto, *store, db_pool, finaliser_settings(config), final_counters,
                                background);

  // The lifecycle, connected to capture (stream-ready), finalisation (success), the archive (retry) and the
  // status events its followers publish.
  lifecycle::status_events status_events;
  const auto render = [url = config.public_url](const store::submission& s) { return api::submission_json(s, url); };
  auto lifecycle_options = lifecycle_settings(config);
  if (!config.public_url.empty()) {
    lifecycle_options.webhook_url = config.public_url + "/api/webhooks/sonauto/" + token;
  }
  lifecycle_options.on_stream_ready = [&hubs](const std::string& session, const std::string& task) {
    return hubs.ensure(session, task) != nullptr;
  };
  lifecycle_options.on_success = [&finaliser](const std::string& session, const std::string& task) {
    finaliser.finalise(session, task);
  };
  lifecycle_options.on_change = [&status_events, render](const store::submission& s) {
    status_events.publish(s.session_id, render(s), lifecycle::is_finished(s.status));
  };
  lifecycle_options.on_retry = [&config](const std::string& session) {
    archive::forget_attempt(config.capture_dir, config.archive_dir, session);
  };
  api::finished_songs finished;
  card::card_files cards(config.archive_dir);
  lifecycle_options.on_taken_back = [&config, &hubs, &finished, &cards, &card_pool](const std::string& session) {
    hubs.take_back(session);
    finished.forget(session);
    archive::forget_song(config.capture_dir, config.archive_dir, session);
    // On the thread that draws cards: one being drawn for this song is kept before this removes it.
    card_pool.post([&cards, session] { cards.forget(session); });
  };
  lifecycle::submissions submissions(executor, *store, db_pool, sonauto, lifecycle_options, background);
  if (store->shared()) {
    leases = std::make_unique<lifecycle::ownership>(
        *store, db_pool, std::chrono::seconds(config.lease_s), submissions.counters(),
        [&submissions](const store::submission& s, std::uint64_t term) { submissions.adopt(s, term); });
    submissions.work_under(*leases);
  }

  // A shared database: what other instances change reaches this one's event streams, and a song taken back
  // through another instance is let go here at once (its owner's listeners are cut, its open copy forgotten).
  std::unique_ptr<store::pg_change_feed> change_feed;
  if (store->shared()) {
    auto heard = [&](std::string session_id) {
      const bool held = submissions.follows(session_id) || hubs.holds(session_id) || finished.holds(session_id);
      if (!held && !status_events.knows(session_id)) return;
      background.spawn(executor, heard_change(submissions, status_events, render, std::move(session_id), held),
                       log_failure("heard_change_failed"));
    };
    auto missed = [&status_events, heard] {
      for (auto& session_id : status_events.known_sessions()) heard(std::move(session_id));
    };
    change_feed = std::make_unique<store::pg_change_feed>(config.database_url, heard, missed);
  }

  // The HTTP API.
  http::static_site site(config.web_dir.empty() ? std::string(SERENADE_WEB_DIR) : config.web_dir);
  api::service_metrics metrics;
  api::webhook_counters webhooks;
  api::stream_shares streams{core::keyed_slots(config.max_streams_per_client), config.trust_proxy};
  http::connection_counters connection_counters;
  std::atomic<bool> draining{false};
  api::route_context context{submissions,
                             hubs,
                             site,
                             config.public_url,
                             std::chrono::seconds(config.stream_start_timeout_s),
                             metrics,
                             final_counters,
                             config.trust_proxy,
                             &webhooks,
                             &finished,
                             config.archive_dir,
                             &streams,
                             &connection_counters,
                             &draining,
                             token,
                             api::relay_key(token),
                             &disk_pool};
  context.cards = &cards;
  context.card_pool = &card_pool;
  http::router routes;
  api::add_api_routes(routes, context);
  api::webhook_route_context webhook_context{submissions, token, webhooks};
  api::add_webhook_routes(routes, webhook_context);
  auto find_submission = [&submissions](const std::string& session_id) { return submissions.find(session_id); };
  api::event_route_context event_context{status_events, find_submission, render,
                                         std::chrono::milliseconds(config.events_heartbeat_ms), &streams};
  api::add_event_routes(routes, event_context);
  // /metrics shows load, failures and traffic per route: with --metrics-listen it is answered only on that
  // (private) address, and the public one does not know it.
  std::unique_ptr<http::server> metrics_server;
  if (config.metrics_listen.empty()) {
    api::add_metrics_route(routes, context);
  } else {
    http::router metrics_routes;
    api::add_metrics_route(metrics_routes, context);
    metrics_server = std::make_unique<http::server>(executor, metrics_server_settings(config), std::move(metrics_routes));
  }
  auto server_options = server_settings(config);
  server_options.counters = &connection_counters;
  server_options.answer_for_failure = api::answer_for_failure;
  http::server server(executor, std::move(server_options), std::move(routes), threads.connection_executors());
  const auto observe = [&metrics](const http::request_record& r) {
    metrics.count_request(r.route, r.status);
    SERENADE_LOG(debug, "request", "method", r.method, "route", r.route, "status", r.status, "bytes", r.body_bytes,
                 "ms", std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count());
  };
  server.set_observer(observe);
  std::vector<std::reference_wrapper<http::server>> servers{server};
  if (metrics_server) servers.emplace_back(*metrics_server);
  // Caught before the listening line: a supervisor may stop the process the moment it reads it.
  shutdown_on_signal shutdown(threads.main(), {.servers = servers,
                                               .background = background,
                                               .close_files = [&hubs] { hubs.release_all(); },
                                               .stop_simulator =
                                                   [&simulator] {
                                                     if (simulator) simulator->stop();
                                                   },
                                               .stop_threads = [&threads] { threads.stop(); },
                                               .mark_draining = [&draining] { draining = true; },
                                               .drain = std::chrono::seconds(config.drain_s),
                                               .grace = std::chrono::seconds(config.shutdown_grace_s)});
  if (metrics_server) {
    metrics_server->set_observer(observe);
    metrics_server->start();
  }
  const auto port = server.start();
  if (leases) leases->advertise(advertised_url(config, port));
  // One plain line for the person who just ran the README's command.
  std::printf("Serenade is running: open http://%s:%u/ in your browser (Ctrl+C stops it)\n",
              config.listen_parsed.host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);

  // Background work: songs left unfinished by the previous run (or, with a shared database, whose lease ran out),
  // and memory handed back after crowds (the release locks the allocator's arenas one by one, so it runs on the
  // disk pool where no listener waits).
  if (leases) {
    background.spawn(executor, leases->run(), log_failure("ownership_failed"));
  } else {
    background.spawn(executor, submissions.resume_unfinished(), log_failure("resume_failed"));
    background.spawn(executor, finaliser.resume_pending(), log_failure("finaliser_resume_failed"));
  }
  if (config.credits_check_s > 0) {
    background.spawn(executor,
                     lifecycle::watch_credits(sonauto, submissions.counters().credits,
                                              std::chrono::seconds(config.credits_check_s), config.credits_warn_below),
                     log_failure("credits_watch_failed"));
  }
  if (config.memory_release_after > 0) {
    background.spawn(executor,
                     release_memory_after_crowds(server, disk_pool,
                                                 std::chrono::milliseconds(config.memory_check_interval_ms),
                                                 config.memory_release_after, metrics.memory_releases),
                     log_failure("memory_release_failed"));
  }

  threads.run();
  change_feed.reset();
  // Its work has stopped: the other instances take its songs over now rather than a lease later.
  if (leases) leases->release_all();
  card_pool.stop();
  disk_pool.stop();
  db_pool.stop();
  SERENADE_LOG(info, "stopped");
  return 0;
}

}  // namespace serenade::app
