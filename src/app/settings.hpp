#pragma once
// Each part's options, read from the one validated configuration.
#include "core/config.hpp"
#include "http/server.hpp"
#include "lifecycle/finaliser.hpp"
#include "lifecycle/submissions.hpp"
#include "live/hub.hpp"
#include "sonauto/client.hpp"

namespace serenade::app {

sonauto::client_options sonauto_settings(const core::serve_config& config);
http::server_options server_settings(const core::serve_config& config);
// The listener of --metrics-listen: the main one's limits, its own address, room for a few scrapers.
http::server_options metrics_server_settings(const core::serve_config& config);
live::hub_options hub_settings(const core::serve_config& config);
lifecycle::finaliser_options finaliser_settings(const core::serve_config& config);
// Without the callbacks: those connect parts, which serve.cpp does.
lifecycle::lifecycle_options lifecycle_settings(const core::serve_config& config);

}  // namespace serenade::app
