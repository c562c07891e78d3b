#include "runtime/line_reader.hpp"

#include <histedit.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "runtime/log.hpp"

namespace ossa::runtime {

std::string default_history_path() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state && *state) return std::string(state) + "/ossa/chat_history";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.local/state/ossa/chat_history";
  return {};
}

struct LineReader::Impl {
  EditLine* el = nullptr;
  History* history = nullptr;
  HistEvent event{};
  std::string prompt;
  std::string file;
  bool save_failed = false;

  ~Impl() {
    if (el) el_end(el);
    if (history) history_end(history);
  }

  static char* prompt_of(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return static_cast<Impl*>(data)->prompt.data();
  }

  // Ctrl-D: the end of input on an empty line, without libedit's "^D" echo; elsewhere it
  // deletes the character under the cursor, as in a shell.
  static unsigned char end_or_delete(EditLine* el, int) {
    const LineInfo* line = el_line(el);
    if (line->buffer == line->lastchar) return CC_EOF;
    if (line->cursor == line->lastchar) return CC_NORM;
    el_cursor(el, 1);
    el_deletestr(el, 1);
    return CC_REFRESH;
  }

  void save() {
    if (file.empty() || save_failed) return;
    std::error_code ec;
    const auto dir = std::filesystem::path(file).parent_path();
    // What was typed may hold secrets: the folder and the file are the user's only.
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (!ec) ::chmod(dir.c_str(), 0700);
    }
    // libedit writes the file with mode 0600.
    if (ec || ::history(history, &event, H_SAVE, file.c_str()) < 0) {
      save_failed = true;
      log::warn("the chat history is not kept: cannot write ", file);
    }
  }
};

LineReader::LineReader(std::string history_file) {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) return;
  auto impl = std::make_unique<Impl>();
  impl->file = std::move(history_file);
  impl->history = history_init();
  if (!impl->history) return;
  ::history(impl->history, &impl->event, H_SETSIZE, 1000);
  ::history(impl->history, &impl->event, H_SETUNIQUE, 1);
  if (!impl->file.empty()) ::history(impl->history, &impl->event, H_LOAD, impl->file.c_str());
  impl->el = el_init("ossa", stdin, stderr, stderr);
  if (!impl->el) return;
  el_set(impl->el, EL_CLIENTDATA, impl.get());
  el_set(impl->el, EL_PROMPT, &Impl::prompt_of);
  el_set(impl->el, EL_EDITOR, "emacs");
  // Ctrl-C or a resize at the prompt: libedit restores the terminal before the signal acts.
  el_set(impl->el, EL_SIGNAL, 1);
  el_set(impl->el, EL_HIST, history, impl->history);
  // The wide call keeps our names: el_set would copy them and never free the copies.
  el_wset(impl->el, EL_ADDFN, L"ossa-end-or-delete", L"end of input on an empty line",
          &Impl::end_or_delete);
  el_wset(impl->el, EL_BIND, L"^D", L"ossa-end-or-delete", nullptr);
  impl_ = std::move(impl);
}

LineReader::~LineReader() = default;

std::optional<std::string> LineReader::read(const std::string& prompt) {
  if (!impl_) {
    std::fputs(prompt.c_str(), stderr);
    std::fflush(stderr);
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
  impl_->prompt = prompt;
  int count = 0;
  const char* text = el_gets(impl_->el, &count);
  if (!text || count <= 0) return std::nullopt;
  std::string line(text, static_cast<std::size_t>(count));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty()) {
    ::history(impl_->history, &impl_->event, H_ENTER, line.c_str());
    impl_->save();
  }
  return line;
}

}  // namespace ossa::runtime
