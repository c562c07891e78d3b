#pragma once
// The checkpoint an agent command falls back on when the configuration names none: the folder
// in $OSSA_MODEL, else a checkpoint folder `demo-model/` next to the ossa executable, the place
// meant for the small demo model the project trains (scripts/train_demo_model.py; issue 15).
//
//   std::string note = ossa::runtime::choose_default_model(cfg);   // before loading
//   if (!note.empty()) ossa::log::warn(note);
//
// The demo model is trained with the python tool (plus tool files) and greedy decoding, so
// where the configuration still has the built-in defaults for those it gets the ones it was
// trained with.
#include <filesystem>
#include <string>

#include "runtime/config.hpp"

namespace ossa::runtime {

// <folder of the running executable>/demo-model (it may not exist).
std::filesystem::path demo_model_dir();

// Fills cfg.model when it is empty: $OSSA_MODEL, else demo_model_dir() when it holds a
// config.json; left empty otherwise. Returns a note for stderr when it chose the demo model.
std::string choose_default_model(Config& cfg);

}  // namespace ossa::runtime
