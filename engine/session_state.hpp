#pragma once
// Everything a Session owns (engine-internal): its model and its one Sequence.
#include <memory>

#include "engine/model.hpp"
#include "engine/sequence.hpp"

namespace ossa::engine {

class SessionState {
 public:
  SessionState(std::shared_ptr<const Model> m, std::size_t keep_behind)
      : model(std::move(m)), seq(model->impl(), keep_behind) {}
  std::shared_ptr<const Model> model;
  std::size_t max_context = 0;
  Sequence seq;
};

}  // namespace ossa::engine
