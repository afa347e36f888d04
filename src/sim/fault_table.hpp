#pragma once
// One table of fault switches, from which everything that names them is made: the `serenade simulate` flags, the
// keys POST /_sim/control accepts, the fields of the JSON reports and the help text. A new switch is a member of
// task_faults or service_faults plus one row in fault_table.cpp.
#include "sim/faults.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace serenade::sim {

// The flags of every row that has one; each sets the default of every new task (or a service-wide switch).
void add_fault_flags(CLI::App& command, task_faults& task, service_faults& service);

// What a control body did to a set of switches: the sentence of a 400 when a key had a bad value (the switches
// must then be discarded), and which keys it set.
struct fault_update {
  std::optional<std::string> problem;
  bool any_set = false;
  bool drop_rearmed = false;  // drop_after_bytes was given: the one-time drop may cut again
};

// Applies the keys of `body` that name a switch; other keys are left to the caller.
fault_update apply_fault_keys(const boost::json::object& body, task_faults& faults);
fault_update apply_fault_keys(const boost::json::object& body, service_faults& faults);

// Every switch as a JSON field named like its control key.
boost::json::object fault_report(const task_faults& faults);
void add_fault_report(boost::json::object& out, const service_faults& faults);

// The first switch with a value its flag would have refused, as "--flag must ..." (for options built in code).
std::optional<std::string> check_faults(const task_faults& task, const service_faults& service);

// The control keys, their values and what each does, for `serenade simulate --help`.
std::string control_help();

}  // namespace serenade::sim
