#pragma once

// A LibTorch module's parameters and buffers to and from safetensors (models/safetensors.h).
// Includes <torch/torch.h>: for generator .cpp files only.

#include "models/safetensors.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

namespace kiln::models {

TensorData tensorData(const std::string& name, const torch::Tensor& tensor);  // any device, contiguous copy
torch::Tensor toTensor(const TensorData& data);                                // CPU tensor of the same dtype

// Every named parameter and buffer of `module` (float32 on the CPU), in registration order.
SafetensorsFile moduleWeights(const torch::nn::Module& module, std::map<std::string, std::string> metadata = {});

// Copies `file` into `module`: every parameter and buffer must be present with the same shape,
// and the file must hold nothing else. Throws kiln::Error("<what>: tensor 'x' ...") otherwise.
void loadModuleWeights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& what);
void loadModuleWeights(torch::nn::Module& module, const std::filesystem::path& path);
void saveModuleWeights(const torch::nn::Module& module, const std::filesystem::path& path, bool overwrite,
                       std::map<std::string, std::string> metadata = {});

} // namespace kiln::models
