#include "engine/weights_q8.hpp"

namespace ossa::engine {

std::string WeightsQ8::names() const {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s.push_back(',');
    s.append(name);
  };
  add(attention, "attention");
  add(embedding, "embedding");
  add(unembedding, "unembedding");
  add(experts, "experts");
  return s.empty() ? "none" : s;
}

WeightsQ8 parse_weights_q8(const std::vector<std::string>& names) {
  WeightsQ8 q;
  for (const auto& n : names) {
    if (n == "attention") {
      q.attention = true;
    } else if (n == "embedding") {
      q.embedding = true;
    } else if (n == "unembedding") {
      q.unembedding = true;
    } else if (n == "experts") {
      q.experts = true;
    } else if (n == "all") {
      q.attention = q.embedding = q.unembedding = q.experts = true;
    } else {
      throw std::invalid_argument("unknown weight group \"" + n + "\"; expected a comma list of " +
                                  kWeightsQ8Names);
    }
  }
  return q;
}

WeightsQ8 parse_weights_q8(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const std::size_t c = list.find(',');
    const std::string_view item = list.substr(0, c);
    if (!item.empty()) names.emplace_back(item);
    if (c == std::string_view::npos) break;
    list.remove_prefix(c + 1);
  }
  return parse_weights_q8(names);
}

}  // namespace ossa::engine
