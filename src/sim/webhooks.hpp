#pragma once
// The webhooks of a task created with a webhook_url: a watcher follows the task's timeline and POSTs each status
// change as its webhook mode says (normal, duplicated, reordered, delayed, none), in the body its payload shape
// says (flat, nested, completion-only, no-task-id; see faults.hpp).
#include "sim/faults.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::sim {

struct context;
struct task;

// The body of the POST announcing `status` in this shape, or nothing when the shape sends none for it.
// `result` gives the generation result at that status (completion-only only asks for it at the end).
std::optional<std::string> webhook_body(webhook_payload_shape shape, std::string_view task_id,
                                        std::string_view status,
                                        const std::function<boost::json::object()>& result);

// Gives the task its wake event (a control call changing its faults wakes the watcher) and starts the watcher in
// the simulator's background group. Called before the task is published.
void start_webhook_watcher(context& ctx, const std::shared_ptr<task>& t);

}  // namespace serenade::sim
