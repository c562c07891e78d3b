#include "engine/device.hpp"

#include <charconv>

namespace ossa::engine {

Device parse_device(std::string_view text) {
  if (text == "auto") return {Device::Kind::automatic, 0};
  if (text == "cpu") return {Device::Kind::cpu, 0};
  if (text == "cuda") return {Device::Kind::cuda, 0};
  if (text.substr(0, 5) == "cuda:" && text.size() > 5) {
    int index = -1;
    const auto* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data() + 5, end, index);
    if (ec == std::errc() && p == end && index >= 0 && index < 1024) return {Device::Kind::cuda, index};
  }
  throw std::invalid_argument("unknown device \"" + std::string(text) + "\"; expected auto, cpu, cuda or cuda:N");
}

std::string device_string(const Device& d) {
  switch (d.kind) {
    case Device::Kind::automatic: return "auto";
    case Device::Kind::cpu: return "cpu";
    case Device::Kind::cuda: break;
  }
  return "cuda:" + std::to_string(d.index);
}

bool built_with_cuda() {
#ifdef OSSA_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

}  // namespace ossa::engine
