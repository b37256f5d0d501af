#pragma once

// A pipeline's declaration as JSON (`kiln pipelines --json`): id, name, inputs, outputs, model
// slots, availability and the options schema with defaults, ranges, choices and presets.

#include "pipelines/pipeline.h"

#include <nlohmann/json.hpp>

namespace kiln::pipelines {

nlohmann::ordered_json toJson(const OptionsSchema& schema);
nlohmann::ordered_json toJson(const Pipeline& pipeline);

} // namespace kiln::pipelines
