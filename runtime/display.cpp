#include "runtime/display.hpp"

#include <algorithm>

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

Display::Display(bool color, std::FILE* out, std::FILE* err)
    : color_(color), out_(out), err_(err) {}

void Display::end_stream() {
  if (streaming_) {
    if (color_) std::fputs(kReset, err_);
    std::fputc('\n', channel_ == "final" ? out_ : err_);
    streaming_ = false;
  }
  std::fflush(out_);
  std::fflush(err_);
}

void Display::on_event(const SessionEvent& event, const Event&) {
  const char* c_dim = color_ ? kDim : "";
  const char* c_reset = color_ ? kReset : "";
  if (const auto* e = std::get_if<MessageStarted>(&event)) {
    end_stream();
    channel_ = e->channel;
    if (!e->recipient.empty()) {
      // A call: shown once complete, as tool_call.
      streaming_ = false;
      channel_ = "call";
      return;
    }
    streaming_ = true;
    if (channel_ == "final") return;
    if (channel_ == "analysis") std::fputs(c_dim, err_);
    else if (color_) std::fputs(kCyan, err_);
  } else if (const auto* d = std::get_if<ContentDelta>(&event)) {
    if (!streaming_) return;
    std::FILE* f = channel_ == "final" ? out_ : err_;
    std::fwrite(d->text.data(), 1, d->text.size(), f);
    std::fflush(f);
  } else if (const auto* c = std::get_if<ToolCalled>(&event)) {
    end_stream();
    std::fprintf(err_, "%s-> %s%s %s\n", color_ ? kBold : "",
                 c->resolved.value_or(c->recipient).c_str(), c_reset,
                 shorten(c->body, 300).c_str());
  } else if (const auto* r = std::get_if<ToolFinished>(&event)) {
    end_stream();
    std::fprintf(err_, "%s<- %s%s: %s%s\n", r->is_error && color_ ? kRed : c_dim,
                 r->recipient.c_str(), r->is_error ? " (error)" : "",
                 shorten(r->text, 600).c_str(), c_reset);
  } else if (const auto* w = std::get_if<Warning>(&event)) {
    end_stream();
    std::fprintf(err_, "%swarning: %s%s\n", color_ ? kYellow : "", w->text.c_str(), c_reset);
  } else if (const auto* p = std::get_if<ParseFailed>(&event)) {
    end_stream();
    std::fprintf(err_, "%swarning: unparsable model output: %s%s\n", color_ ? kYellow : "",
                 p->error.c_str(), c_reset);
  } else if (const auto* round = std::get_if<RoundEnded>(&event)) {
    prompt_tokens_ += round->prompt_tokens;
    cached_tokens_ += round->reused_tokens;
    computed_tokens_ += round->reprocessed_tokens;
    generated_tokens_ += static_cast<std::size_t>(std::max(0, round->generated_tokens));
    prefill_ms_ += round->prefill_ms;
    decode_ms_ += round->decode_ms;
  } else if (const auto* t = std::get_if<TurnEnded>(&event)) {
    end_stream();
    if (timings_) {
      auto rate = [](std::size_t n, double ms) { return ms > 0 ? n * 1000.0 / ms : 0.0; };
      std::fprintf(err_,
                   "%sprompt %zu tokens (%zu cached), prefill %.1f tok/s; generated %zu tokens, "
                   "decode %.1f tok/s; %.1f s%s\n",
                   c_dim, prompt_tokens_, cached_tokens_, rate(computed_tokens_, prefill_ms_),
                   generated_tokens_, rate(generated_tokens_, decode_ms_), t->wall_ms / 1000.0, c_reset);
    }
    prompt_tokens_ = cached_tokens_ = computed_tokens_ = generated_tokens_ = 0;
    prefill_ms_ = decode_ms_ = 0;
    if (t->reason != "final") {
      std::fprintf(err_, "%sstopped: %s%s%s\n", color_ ? kRed : "", t->reason.c_str(),
                   t->detail.empty() ? "" : (" (" + t->detail + ")").c_str(), c_reset);
      if (!resume_hint_.empty()) std::fprintf(err_, "to continue: %s\n", resume_hint_.c_str());
    }
  }
  // Whole messages are already shown through deltas and tool events.
  std::fflush(err_);
}

}  // namespace ossa::runtime
