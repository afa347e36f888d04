#pragma once
// The webhooks of a task created with a webhook_url: a watcher follows the task's timeline and POSTs each status
// change as its webhook mode says (normal, duplicated, reordered, delayed, none; see faults.hpp).
#include <memory>

namespace serenade::sim {

struct context;
struct task;

// Gives the task its wake event (a control call changing its faults wakes the watcher) and starts the watcher in
// the simulator's background group. Called before the task is published.
void start_webhook_watcher(context& ctx, const std::shared_ptr<task>& t);

}  // namespace serenade::sim
