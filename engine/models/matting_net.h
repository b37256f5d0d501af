#pragma once

// Kiln's own matting network (slot "matting", format "kiln-matting-net"): a small U-Net that
// reads an RGB image squashed to a square and returns the object's alpha. Trained by
// `kiln train matting` (models/matting_training.h) on procedural-library renders composited over
// real photographs. The model folder holds its convolutions with batch norm already folded in
// (weights.safetensors) and config.json; at load time the network is written out as an ONNX graph
// and run by OpenCV's DNN module, so inference needs no LibTorch. Torch-free; OpenCV stays inside
// matting_net.cpp.

#include "core/image.h"
#include "models/safetensors.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kiln::models {

inline constexpr const char* kMattingNetFormat = "kiln-matting-net";

// The U-Net's shape. Encoder level k has channels[k] channels at 1/2^(k+1) of the input (a
// stride-2 3x3 conv, then a 3x3 conv); the decoder climbs back level by level (bilinear x2,
// concatenated with the encoder level's output, two 3x3 convs); a 3x3 head gives one logit at
// half resolution, bilinearly doubled. Every conv but the head is followed by ReLU. The input
// side must be a multiple of 2^channels.size().
struct MattingNetConfig {
    std::vector<int> channels{16, 32, 64, 96, 128};
    int trainResolution = 128;    // the square side it was trained at
    int defaultResolution = 128;  // the side it runs at unless told (the training size: it is not scale-invariant)
    // The input normalisation: (pixel * 255 - mean) * scale, per channel.
    double mean = 127.5, scale = 1.0 / 63.75;

    int divisor() const { return 1 << int(channels.size()); }
};

// The names and shapes of every folded conv of a network of `config`, in the order the graph
// runs them: "enc{k}.{0,1}", "dec{k}.{0,1}", "head"; weight [out, in, 3, 3] and bias [out].
struct MattingConvShape {
    std::string name;
    int in = 0, out = 0, stride = 1;
    bool relu = true;
};
std::vector<MattingConvShape> mattingNetConvs(const MattingNetConfig& config);

// config.json of a matting-net folder. Throws kiln::Error naming the file.
MattingNetConfig readMattingNetConfig(const std::filesystem::path& dir);
void writeMattingNetConfig(const MattingNetConfig& config, const std::string& trainingJson, const std::filesystem::path& dir);

// The network as a serialised ONNX model for a `resolution` x `resolution` input ("image",
// 1x3xRxR, normalised) with one output ("alpha", 1x1xRxR, 0..1). Throws kiln::Error("<what>: ...")
// when a weight is missing or has another shape, or the resolution does not divide.
std::string mattingNetOnnx(const SafetensorsFile& weights, const MattingNetConfig& config, int resolution, const std::string& what);

// A loaded Kiln matting network (reuse it across images).
class KilnMattingNet {
public:
    // Verifies the folder (manifest, slot "matting", format kiln-matting-net) and prepares the
    // network for `resolution` (0: the folder's default; a multiple of the config's divisor from
    // 64 to 1024). Throws kiln::Error naming the folder or the reason.
    KilnMattingNet(const std::filesystem::path& dir, int resolution);
    ~KilnMattingNet();
    KilnMattingNet(const KilnMattingNet&) = delete;
    KilnMattingNet& operator=(const KilnMattingNet&) = delete;

    // Alpha (F32, one channel, the image's size) of an RGB(A) image (U8 or F32; alpha ignored):
    // the network's matte (with `flipAverage`, averaged with its matte of the mirrored image)
    // upsampled and its edges snapped to the image's (guided filter).
    core::Image run(const core::Image& image, bool flipAverage = true);
    // The network's own output at its resolution (F32, one channel), for tests.
    core::Image runRaw(const core::Image& image);
    int resolution() const;
    const std::string& licence() const;
    const std::string& name() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// Whether `dir`'s config.json names the kiln-matting-net format (false for IS-Net folders).
bool isKilnMattingNet(const std::filesystem::path& dir);

// The guided filter (He, Sun & Tang 2013) of `alpha` (F32, 1 channel) guided by `image`'s
// luminance at the same size: edges of a coarse matte moved onto the image's edges. radius in
// pixels, eps the regularisation (in 0..1 intensity units squared).
core::Image guidedFilter(const core::Image& image, const core::Image& alpha, int radius, double eps);

} // namespace kiln::models
