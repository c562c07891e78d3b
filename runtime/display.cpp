#include "runtime/display.hpp"

#include <nlohmann/json.hpp>

#include "runtime/json_output.hpp"

namespace ossa::runtime {
namespace {
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kCyan = "\x1b[36m";
constexpr const char* kReset = "\x1b[0m";

std::string shorten(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  return s.substr(0, n) + "... (" + std::to_string(s.size() - n) + " more bytes)";
}
}  // namespace

Display::Display(Mode mode, bool color, std::FILE* out, std::FILE* err)
    : mode_(mode), color_(color), out_(out), err_(err) {}

void Display::end_stream() {
  if (streaming_) {
    if (color_) std::fputs(kReset, err_);
    std::fputc('\n', channel_ == "final" ? out_ : err_);
    streaming_ = false;
  }
  std::fflush(out_);
  std::fflush(err_);
}

void Display::operator()(const nlohmann::json& ev) {
  if (mode_ == Mode::json) {
    // Streaming deltas and message_started are noise for programs that read whole messages;
    // they are kept: a client rendering live output needs them.
    out::print_json_line(ev);
    return;
  }
  const std::string type = ev.value("type", "");
  const char* c_dim = color_ ? kDim : "";
  const char* c_reset = color_ ? kReset : "";
  if (type == "message_started") {
    end_stream();
    channel_ = ev.value("channel", "");
    std::string recipient = ev.value("recipient", "");
    if (!recipient.empty()) {
      // A call: shown once complete, as tool_call.
      streaming_ = false;
      channel_ = "call";
      return;
    }
    streaming_ = true;
    if (channel_ == "final") return;
    if (channel_ == "analysis") std::fprintf(err_, "%s", c_dim);
    else if (color_) std::fputs(kCyan, err_);
  } else if (type == "delta") {
    if (!streaming_) return;
    std::string text = ev.value("text", "");
    std::FILE* f = channel_ == "final" ? out_ : err_;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fflush(f);
  } else if (type == "tool_call") {
    end_stream();
    std::fprintf(err_, "%s-> %s%s %s\n", color_ ? kBold : "", ev.value("recipient", "").c_str(),
                 c_reset, shorten(ev.value("body", ""), 300).c_str());
  } else if (type == "tool_result") {
    end_stream();
    bool err = ev.value("is_error", false);
    std::fprintf(err_, "%s<- %s%s%s: %s%s\n", err && color_ ? kRed : c_dim,
                 ev.value("recipient", "").c_str(), err ? " (error)" : "", "",
                 shorten(ev.value("text", ""), 600).c_str(), c_reset);
  } else if (type == "warning") {
    end_stream();
    std::fprintf(err_, "%swarning: %s%s\n", color_ ? kYellow : "", ev.value("text", "").c_str(),
                 c_reset);
  } else if (type == "turn_end") {
    end_stream();
    std::string reason = ev.value("reason", "");
    if (reason != "final") {
      std::string detail = ev.value("detail", "");
      std::fprintf(err_, "%sstopped: %s%s%s\n", color_ ? kRed : "", reason.c_str(),
                   detail.empty() ? "" : (" (" + detail + ")").c_str(), c_reset);
    }
  } else if (type == "message") {
    // Whole messages are already shown through deltas / tool events.
  }
  std::fflush(err_);
}

}  // namespace ossa::runtime
