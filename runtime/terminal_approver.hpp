#pragma once
// `--approve ask`: asks on the controlling terminal whether a tool call may run. The question
// is read on its own thread, so the event loop keeps serving other sessions meanwhile. Without
// a terminal the answer is no (and the model is told the call was not approved).
#include "runtime/agent_session.hpp"

namespace ossa::runtime {

Approver make_terminal_approver();

}  // namespace ossa::runtime
