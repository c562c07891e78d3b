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

void Display::set_live_status(bool on, bool out_on_terminal) {
  live_ = on;
  out_on_terminal_ = out_on_terminal;
}

void Display::turn_started() {
  in_turn_ = true;
  state_ = "prompt";
  round_tokens_ = 0;
  round_decode_ms_ = 0;
  turn_start_ = std::chrono::steady_clock::now();
  draw_status(true);
}

void Display::round_progress(const RoundStats& stats) {
  round_tokens_ = stats.generated_tokens;
  round_decode_ms_ = stats.decode_ms;
  draw_status(false);
}

void Display::tick() { draw_status(false); }

void Display::pause_status(bool paused) {
  if (paused) erase_status();
  paused_ = paused;
}

void Display::erase_status() {
  if (!drawn_) return;
  std::fputs("\r\x1b[K", err_);
  std::fflush(err_);
  drawn_ = false;
}

void Display::draw_status(bool force) {
  if (!live_ || !in_turn_ || paused_ || !at_line_start_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  const int tokens = static_cast<int>(generated_tokens_) + round_tokens_;
  const double ms = decode_ms_ + round_decode_ms_;
  const double seconds = std::chrono::duration<double>(now - turn_start_).count();
  std::fprintf(err_, "\r\x1b[K%s[%s] %d tokens, %.1f tok/s, %.1f s%s", color_ ? kDim : "",
               state_.c_str(), tokens, ms > 0 ? tokens * 1000.0 / ms : 0.0, seconds,
               color_ ? kReset : "");
  // Text streamed after the erase keeps its style.
  if (streaming_ && channel_ != "final") std::fputs(stream_color_, err_);
  std::fflush(err_);
  drawn_ = true;
  last_draw_ = now;
}

void Display::write(std::FILE* f, const char* text, std::size_t n) {
  if (n == 0) return;
  erase_status();
  std::fwrite(text, 1, n, f);
  std::fflush(f);
  if (f == err_ || out_on_terminal_) at_line_start_ = text[n - 1] == '\n';
}

void Display::end_stream() {
  if (streaming_) {
    if (color_) std::fputs(kReset, err_);
    write(channel_ == "final" ? out_ : err_, "\n", 1);
    streaming_ = false;
  }
  std::fflush(out_);
  std::fflush(err_);
}

void Display::on_event(const SessionEvent& event, const Event&) {
  // Whatever this event prints comes after the status line is gone; it is drawn again below
  // once the output is back at the start of a line.
  if (!std::holds_alternative<RoundEnded>(event)) erase_status();
  const char* c_dim = color_ ? kDim : "";
  const char* c_reset = color_ ? kReset : "";
  if (const auto* e = std::get_if<MessageStarted>(&event)) {
    end_stream();
    channel_ = e->channel;
    state_ = channel_.empty() ? "message" : channel_;
    if (!e->recipient.empty()) {
      // A call: shown once complete, as tool_call.
      streaming_ = false;
      channel_ = "call";
      return;
    }
    streaming_ = true;
    if (channel_ == "final") return;
    stream_color_ = !color_ ? "" : channel_ == "analysis" ? kDim : kCyan;
    std::fputs(stream_color_, err_);
  } else if (const auto* d = std::get_if<ContentDelta>(&event)) {
    if (!streaming_) return;
    write(channel_ == "final" ? out_ : err_, d->text.data(), d->text.size());
  } else if (const auto* c = std::get_if<ToolCalled>(&event)) {
    end_stream();
    state_ = "tool: " + c->resolved.value_or(c->recipient);
    std::fprintf(err_, "%s-> %s%s %s\n", color_ ? kBold : "",
                 c->resolved.value_or(c->recipient).c_str(), c_reset,
                 shorten(c->body, 300).c_str());
  } else if (const auto* r = std::get_if<ToolFinished>(&event)) {
    end_stream();
    state_ = "prompt";
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
    round_tokens_ = 0;
    round_decode_ms_ = 0;
  } else if (const auto* t = std::get_if<TurnEnded>(&event)) {
    end_stream();
    in_turn_ = false;
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
  if (std::holds_alternative<ToolCalled>(event) || std::holds_alternative<ToolFinished>(event) ||
      std::holds_alternative<Warning>(event) || std::holds_alternative<ParseFailed>(event))
    at_line_start_ = true;  // their lines end with a newline
  draw_status(false);
}

}  // namespace ossa::runtime
