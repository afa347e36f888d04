#include "api/service.hpp"

#include "api/metrics.hpp"
#include "api/events_route.hpp"
#include "api/finished_songs.hpp"
#include "api/memory_release_loop.hpp"
#include "api/routes.hpp"
#include "api/submission_view.hpp"
#include "archive/paths.hpp"
#include "api/webhooks.hpp"
#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/stop_signals.hpp"
#include "http/server.hpp"
#include "http/static_site.hpp"
#include "lifecycle/finaliser.hpp"
#include "lifecycle/status_events.hpp"
#include "lifecycle/submissions.hpp"
#include "lifecycle/task_status.hpp"
#include "live/hub_table.hpp"
#include "sim/simulator.hpp"
#include "sonauto/client.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#ifndef SERENADE_WEB_DIR
#define SERENADE_WEB_DIR "web"
#endif

namespace serenade::api {

namespace asio = boost::asio;

namespace {

sonauto::client_options client_options_for(const core::serve_config& c) {
  sonauto::client_options o;
  o.api_key = c.sonauto_api_key;
  o.api_base = c.sonauto_api_base;
  o.stream_base = c.sonauto_stream_base;
  o.connect_timeout = std::chrono::seconds(c.connect_timeout_s);
  o.request_timeout = std::chrono::seconds(c.request_timeout_s);
  o.stream_read_timeout = std::chrono::seconds(c.stream_read_timeout_s);
  return o;
}

http::server_options server_options_for(const core::serve_config& c) {
  http::server_options o;
  o.host = c.listen_parsed.host;
  o.port = c.listen_parsed.port;
  o.max_connections = c.max_connections;
  o.max_body_bytes = c.max_body_bytes;
  o.max_header_bytes = c.max_header_bytes;
  o.header_timeout = std::chrono::seconds(c.header_timeout_s);
  o.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  o.send_buffer_bytes = c.send_buffer_bytes;
  o.unsent_limit_bytes = c.unsent_limit_bytes;
  o.write_timeout = std::chrono::seconds(c.write_timeout_s);
  o.name = "serenade";
  return o;
}

}  // namespace

int run_serve(core::serve_config config) {
  // One io_context per thread, each run by its own thread (like nginx's workers): a connection lives on one of
  // them, so its reads, writes and handlers never hand off between threads (that hand-off — a futex wake and a
  // context switch per event — was a fifth of the server's time on keep-alive Range requests). The rest of the
  // service (hubs, lifecycle, finaliser) runs on the first; what connections share is already thread-safe.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned i = 0; i < std::max(1u, config.threads); ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  auto& io = *contexts.front();
  const auto executor = io.get_executor();
  std::vector<asio::any_io_executor> connection_executors;
  for (auto& context : contexts) connection_executors.emplace_back(context->get_executor());
  // The other threads would return at once while they have no connection.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  for (std::size_t i = 1; i < contexts.size(); ++i) keep_running.push_back(asio::make_work_guard(*contexts[i]));

  // Without a key, a newcomer still hears a song: the simulator runs in-process on a free loopback port.
  std::unique_ptr<sim::simulator> simulator;
  if (config.sonauto_api_key.empty()) {
    sim::simulator_options sim_options;
    sim_options.listen = "127.0.0.1:0";
    sim_options.api_key = "sksonauto_sim_" + ids::random_token();
    simulator = std::make_unique<sim::simulator>(executor, sim_options);
    const auto port = simulator->start();
    config.sonauto_api_key = sim_options.api_key;
    config.sonauto_api_base = "http://127.0.0.1:" + std::to_string(port) + "/v1";
    config.sonauto_stream_base = "http://127.0.0.1:" + std::to_string(port);
    SERENADE_LOG(info, "sonauto_simulator", "reason", "SONAUTO_API_KEY is not set");
  }

  auto store = store::open_store(config.database_url);
  SERENADE_LOG(info, "store_open", "schema_version", store->schema_version());
  std::filesystem::create_directories(config.archive_dir);
  http::static_site site(config.web_dir.empty() ? std::string(SERENADE_WEB_DIR) : config.web_dir);

  core::blocking_pool db_pool(2);
  // Capture and download writes, replay checks, fsyncs: a slow disk must not hold the I/O threads (nor the
  // database's).
  core::blocking_pool disk_pool(2);
  auto sonauto_options = client_options_for(config);
  sonauto_options.disk = &disk_pool;
  sonauto::client sonauto(sonauto_options);
  live::hub_options hub_options;
  hub_options.archive_dir = config.archive_dir;
  hub_options.disk = &disk_pool;
  live::hub_table hubs(executor, sonauto, hub_options);
  lifecycle::lifecycle_options lifecycle_options;
  lifecycle_options.poll_interval = std::chrono::milliseconds(config.poll_interval_ms);
  lifecycle_options.poll_interval_with_webhooks = std::chrono::milliseconds(config.webhook_poll_interval_ms);
  lifecycle_options.stall_timeout = std::chrono::seconds(config.stall_timeout_s);
  lifecycle_options.public_url = config.public_url;
  lifecycle_options.guards = {config.submit_burst, config.submits_per_hour, config.daily_budget,
                              config.max_generating};
  const auto token = webhook_token(config.webhook_token, config.archive_dir);
  if (!config.public_url.empty()) {
    lifecycle_options.webhook_url = config.public_url + "/api/webhooks/sonauto/" + token;
  }
  lifecycle_options.on_stream_ready = [&hubs](const std::string& session, const std::string& task) {
    return hubs.ensure(session, task) != nullptr;
  };
  lifecycle::finaliser_counters final_counters;
  lifecycle::finaliser_options final_options;
  final_options.archive_dir = config.archive_dir;
  final_options.first_backoff = std::chrono::milliseconds(std::max(1u, config.final_retry_ms));
  lifecycle::finaliser finaliser(executor, sonauto, *store, db_pool, final_options, final_counters);
  lifecycle_options.on_success = [&finaliser](const std::string& session, const std::string& task) {
    finaliser.finalise(session, task);
  };
  lifecycle::status_events status_events;
  const auto render = [url = config.public_url](const store::submission& s) { return submission_json(s, url); };
  lifecycle_options.on_change = [&status_events, render](const store::submission& s) {
    status_events.publish(s.session_id, render(s), lifecycle::is_finished(s.status));
  };
  lifecycle_options.on_retry = [dir = config.archive_dir](const std::string& session) {
    // The failed attempt's capture must not be taken for the new song's beginning.
    for (const auto& path : {archive::capture_path(dir, session), archive::live_copy_path(dir, session),
                             archive::download_path(dir, session), archive::final_path(dir, session)}) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  };
  lifecycle::submissions submissions(executor, *store, db_pool, sonauto, lifecycle_options);
  service_metrics metrics;
  route_context context{submissions,
                        hubs,
                        site,
                        config.public_url,
                        std::chrono::seconds(config.stream_start_timeout_s),
                        metrics,
                        final_counters,
                        config.trust_proxy};
  webhook_counters webhooks;
  context.webhooks = &webhooks;
  finished_songs finished;
  context.finished = &finished;
  auto routes = make_routes(context);
  webhook_route_context webhook_context{submissions, token, webhooks};
  add_webhook_routes(routes, webhook_context);
  auto find_submission = [&submissions](const std::string& session_id) { return submissions.find(session_id); };
  event_route_context event_context{status_events, find_submission, render,
                                    std::chrono::milliseconds(config.events_heartbeat_ms)};
  add_event_routes(routes, event_context);
  http::server server(executor, server_options_for(config), std::move(routes), connection_executors);
  server.set_observer([&metrics](const http::request_record& r) {
    metrics.count_request(r.route, r.status);
    SERENADE_LOG(debug, "request", "method", r.method, "route", r.route, "status", r.status, "bytes", r.body_bytes,
                 "ms", std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count());
  });
  const auto port = server.start();
  // One plain line for the person who just ran the README's command.
  std::printf("Serenade is running: open http://%s:%u/ in your browser (Ctrl+C stops it)\n",
              config.listen_parsed.host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);
  asio::co_spawn(executor, submissions.resume_unfinished(), asio::detached);
  asio::co_spawn(executor, finaliser.resume_pending(), asio::detached);
  // A crowd of thousands of listeners leaves tens of MiB in the allocator once it has gone; the release runs
  // on the disk pool (it locks the allocator's arenas one by one; no listener waits on that pool).
  if (config.memory_release_after > 0) {
    asio::co_spawn(executor,
                   release_memory_after_crowds(server, disk_pool,
                                               std::chrono::milliseconds(config.memory_check_interval_ms),
                                               config.memory_release_after),
                   asio::detached);
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    SERENADE_LOG(info, "shutdown", "signal", signal, "grace_s", config.shutdown_grace_s);
    if (simulator) simulator->stop();
    server.stop(std::chrono::seconds(config.shutdown_grace_s), [&contexts] {
      for (auto& context : contexts) context->stop();
    });
  });

  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < contexts.size(); ++i) threads.emplace_back([&context = *contexts[i]] { context.run(); });
  io.run();
  threads.clear();
  signals.clear();
  core::ignore_stop_signals_from_now_on();
  SERENADE_LOG(info, "stopped");
  return 0;
}

}  // namespace serenade::api
