#pragma once
// Stop sequences on streamed text: feed() returns the text that can be shown now, holding back
// a tail that might be the start of a stop sequence, and reports when one was found (the text
// before it is returned, the sequence and everything after are dropped).
#include <string>
#include <vector>

namespace ossa::server {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);
  // Returns the releasable text; stopped() turns true when a stop sequence appeared.
  std::string feed(const std::string& text);
  // The held-back tail (the stream ended without a stop sequence).
  std::string flush();
  bool stopped() const { return stopped_; }
  bool active() const { return !stops_.empty(); }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace ossa::server
