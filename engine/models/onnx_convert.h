#pragma once

// ONNX graph surgery for the IS-Net pack (models/packs.h), on the ONNX protobuf library:
// OpenCV 4.6's DNN module reads neither FP16 initialisers nor the Casts around them, and the
// exported graph fixes its input at 1024 x 1024 with the Resize targets as constants.

#include <cstdint>
#include <span>
#include <string>

namespace kiln::models {

struct OnnxConversionReport {
    int initialisersConverted = 0;  // FP16 -> FP32
    int castsRemoved = 0;
    int outputsDropped = 0;         // side outputs (deep supervision) nobody reads
};

// FP16 initialisers to FP32, Cast nodes removed (their consumers read the Cast's input), graph
// inputs and outputs typed FP32, only the first output kept. Returns the serialised model.
// Throws kiln::Error("<what>: ...") when the bytes are not an ONNX model.
std::string convertToFloat32(std::span<const std::uint8_t> model, const std::string& what, OnnxConversionReport* report = nullptr);

// The same network for a square input of `resolution` pixels: the graph input's size and every
// Resize target constant (made for `nativeResolution`) scaled by resolution / nativeResolution.
// Throws kiln::Error when a target would not be a whole number of pixels (resolution must keep
// every stage's size whole: multiples of 32 for IS-Net).
std::string atResolution(const std::string& model, int nativeResolution, int resolution, const std::string& what);

} // namespace kiln::models
