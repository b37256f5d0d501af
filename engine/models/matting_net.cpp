#include "models/matting_net.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/atomic_write.h"
#include "models/manifest.h"
#include "models/matting_cv.h"

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace kiln::models {

std::vector<MattingConvShape> mattingNetConvs(const MattingNetConfig& c) {
    if (c.channels.size() < 2) throw Error("matting net: needs at least two levels");
    std::vector<MattingConvShape> convs;
    const int levels = int(c.channels.size());
    for (int k = 0; k < levels; ++k) {
        const int cin = k == 0 ? 3 : c.channels[std::size_t(k - 1)], ch = c.channels[std::size_t(k)];
        convs.push_back({"enc" + std::to_string(k) + ".0", cin, ch, 2, true});
        convs.push_back({"enc" + std::to_string(k) + ".1", ch, ch, 1, true});
    }
    for (int k = levels - 2; k >= 0; --k) {
        const int ch = c.channels[std::size_t(k)];
        convs.push_back({"dec" + std::to_string(k) + ".0", c.channels[std::size_t(k + 1)] + ch, ch, 1, true});
        convs.push_back({"dec" + std::to_string(k) + ".1", ch, ch, 1, true});
    }
    convs.push_back({"head", c.channels.front(), 1, 1, false});
    return convs;
}

MattingNetConfig readMattingNetConfig(const fs::path& dir) {
    const fs::path file = dir / "config.json";
    const auto bytes = io::readFileBytes(file);
    MattingNetConfig c;
    try {
        const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (j.at("format") != kMattingNetFormat) throw Error(file.string() + ": not a Kiln matting network (format " + j.at("format").dump() + ")");
        c.channels = j.at("channels").get<std::vector<int>>();
        c.trainResolution = j.at("trainResolution");
        c.defaultResolution = j.at("defaultResolution");
        c.mean = j.at("mean");
        c.scale = j.at("scale");
    } catch (const nlohmann::json::exception& e) {
        throw Error(file.string() + ": malformed (" + e.what() + ")");
    }
    if (c.channels.size() < 2 || c.channels.size() > 7 || std::any_of(c.channels.begin(), c.channels.end(), [](int ch) { return ch < 1 || ch > 1024; }))
        throw Error(file.string() + ": channels out of range");
    if (c.defaultResolution % c.divisor() != 0) throw Error(file.string() + ": defaultResolution is not a multiple of " + std::to_string(c.divisor()));
    return c;
}

void writeMattingNetConfig(const MattingNetConfig& c, const std::string& trainingJson, const fs::path& dir) {
    nlohmann::ordered_json j;
    j["format"] = kMattingNetFormat;
    j["formatVersion"] = 1;
    j["channels"] = c.channels;
    j["trainResolution"] = c.trainResolution;
    j["defaultResolution"] = c.defaultResolution;
    j["mean"] = c.mean;
    j["scale"] = c.scale;
    j["training"] = nlohmann::ordered_json::parse(trainingJson.empty() ? "{}" : trainingJson);
    const std::string text = j.dump(2) + "\n";
    io::writeAtomically(dir / "config.json", true, [&](const fs::path& tmp) {
        io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    });
}

namespace {

void addFloatTensor(onnx::GraphProto* g, const std::string& name, const std::vector<std::int64_t>& dims, const void* data, std::size_t count) {
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (const auto d : dims) t->add_dims(d);
    t->set_raw_data(data, count * sizeof(float));
}

void setInts(onnx::NodeProto* n, const std::string& name, std::initializer_list<std::int64_t> values) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (const auto v : values) a->add_ints(v);
}

void setString(onnx::NodeProto* n, const std::string& name, const std::string& value) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(value);
}

onnx::NodeProto* addNode(onnx::GraphProto* g, const std::string& op, const std::string& name, std::initializer_list<std::string> inputs, const std::string& output) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
}

void addValueInfo(onnx::ValueInfoProto* v, const std::string& name, std::initializer_list<std::int64_t> dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (const auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

} // namespace

std::string mattingNetOnnx(const SafetensorsFile& w, const MattingNetConfig& c, int resolution, const std::string& what) {
    if (resolution < c.divisor() || resolution % c.divisor() != 0)
        throw Error(what + ": resolution " + std::to_string(resolution) + " is not a multiple of " + std::to_string(c.divisor()));
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.set_producer_name("kiln");
    m.add_opset_import()->set_version(11);
    onnx::GraphProto* g = m.mutable_graph();
    g->set_name("kiln-matting-net");
    addValueInfo(g->add_input(), "image", {1, 3, resolution, resolution});
    addValueInfo(g->add_output(), "alpha", {1, 1, resolution, resolution});
    const float scales[4] = {1.0f, 1.0f, 2.0f, 2.0f};
    addFloatTensor(g, "up.scales", {4}, scales, 4);
    addFloatTensor(g, "up.roi", {0}, nullptr, 0);

    std::map<std::string, MattingConvShape> shapes;
    for (const auto& s : mattingNetConvs(c)) shapes[s.name] = s;
    std::set<std::string> used;
    auto conv = [&](const std::string& name, const std::string& input) {
        const MattingConvShape& s = shapes.at(name);
        const TensorData* wt = w.find(name + ".weight");
        const TensorData* bt = w.find(name + ".bias");
        if (!wt || !bt) throw Error(what + ": tensor '" + name + (wt ? ".bias" : ".weight") + "' is missing");
        const std::vector<std::int64_t> ws{s.out, s.in, 3, 3}, bs{s.out};
        if (wt->dtype != DType::F32 || wt->shape != ws) throw Error(what + ": tensor '" + name + ".weight' has another shape or type than the config says");
        if (bt->dtype != DType::F32 || bt->shape != bs) throw Error(what + ": tensor '" + name + ".bias' has another shape or type than the config says");
        addFloatTensor(g, name + ".weight", ws, wt->bytes.data(), std::size_t(wt->elementCount()));
        addFloatTensor(g, name + ".bias", bs, bt->bytes.data(), std::size_t(bt->elementCount()));
        used.insert(name + ".weight");
        used.insert(name + ".bias");
        onnx::NodeProto* n = addNode(g, "Conv", name, {input, name + ".weight", name + ".bias"}, name + ".conv");
        setInts(n, "kernel_shape", {3, 3});
        setInts(n, "pads", {1, 1, 1, 1});
        setInts(n, "strides", {s.stride, s.stride});
        if (!s.relu) return name + ".conv";
        addNode(g, "Relu", name + ".relu", {name + ".conv"}, name + ".out");
        return name + ".out";
    };
    auto up = [&](const std::string& name, const std::string& input) {
        onnx::NodeProto* n = addNode(g, "Resize", name, {input, "up.roi", "up.scales"}, name + ".out");
        setString(n, "mode", "linear");
        setString(n, "coordinate_transformation_mode", "half_pixel");
        return name + ".out";
    };
    const int levels = int(c.channels.size());
    std::vector<std::string> skips;
    std::string x = "image";
    for (int k = 0; k < levels; ++k) {
        x = conv("enc" + std::to_string(k) + ".1", conv("enc" + std::to_string(k) + ".0", x));
        skips.push_back(x);
    }
    for (int k = levels - 2; k >= 0; --k) {
        const std::string u = up("dec" + std::to_string(k) + ".up", x);
        onnx::NodeProto* cat = addNode(g, "Concat", "dec" + std::to_string(k) + ".cat", {u, skips[std::size_t(k)]}, "dec" + std::to_string(k) + ".cat");
        onnx::AttributeProto* axis = cat->add_attribute();
        axis->set_name("axis");
        axis->set_type(onnx::AttributeProto::INT);
        axis->set_i(1);
        x = conv("dec" + std::to_string(k) + ".1", conv("dec" + std::to_string(k) + ".0", "dec" + std::to_string(k) + ".cat"));
    }
    x = up("head.up", conv("head", x));
    addNode(g, "Sigmoid", "alpha", {x}, "alpha");
    for (const auto& t : w.tensors)
        if (!used.count(t.name)) throw Error(what + ": tensor '" + t.name + "' is not part of the network the config describes");
    std::string out;
    if (!m.SerializeToString(&out)) throw Error(what + ": the network could not be serialised");
    return out;
}

bool isKilnMattingNet(const fs::path& dir) {
    try {
        const auto bytes = io::readFileBytes(dir / "config.json");
        const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
        return j.is_object() && j.value("format", "") == kMattingNetFormat;
    } catch (const std::exception&) {
        return false;
    }
}

struct KilnMattingNet::State {
    cv::dnn::Net net;
    MattingNetConfig config;
    int resolution = 0;
    std::string licence, name;

    cv::Mat input(const core::Image& image) const;
    cv::Mat forward(const cv::Mat& small);
};

KilnMattingNet::KilnMattingNet(const fs::path& dir, int resolution) : m_state(std::make_unique<State>()) {
    const ModelManifest manifest = verifyModelFolder(dir, "matting");
    m_state->config = readMattingNetConfig(dir);
    const MattingNetConfig& c = m_state->config;
    if (resolution == 0) resolution = c.defaultResolution;
    if (resolution < 64 || resolution > 1024 || resolution % c.divisor() != 0)
        throw Error("matting: resolution " + std::to_string(resolution) + " is out of range (a multiple of " + std::to_string(c.divisor()) + " from 64 to 1024)");
    const SafetensorsFile weights = readSafetensors(dir / "weights.safetensors");
    const std::string onnx = mattingNetOnnx(weights, c, resolution, (dir / "weights.safetensors").string());
    try {
        m_state->net = cv::dnn::readNetFromONNX(onnx.data(), onnx.size());
    } catch (const cv::Exception& e) {
        throw Error(dir.string() + ": OpenCV could not load the matting network (" + e.msg + ")");
    }
    m_state->resolution = resolution;
    m_state->licence = manifest.licence;
    m_state->name = manifest.name + " " + manifest.version;
}

KilnMattingNet::~KilnMattingNet() = default;
int KilnMattingNet::resolution() const { return m_state->resolution; }
const std::string& KilnMattingNet::licence() const { return m_state->licence; }
const std::string& KilnMattingNet::name() const { return m_state->name; }

using matting_cv::alphaImage;
using matting_cv::alphaMat;
using matting_cv::rgbFloat;

// The image squashed to the network's input (area-averaged).
cv::Mat KilnMattingNet::State::input(const core::Image& image) const {
    cv::Mat small;
    cv::resize(rgbFloat(image), small, cv::Size(resolution, resolution), 0, 0, cv::INTER_AREA);
    return small;
}

// The network on its input: the alpha at its resolution.
cv::Mat KilnMattingNet::State::forward(const cv::Mat& small) {
    const double m = config.mean / 255.0;
    // blobFromImage normalises a float image of the blob's size in place: it gets a copy.
    const cv::Mat blob = cv::dnn::blobFromImage(small.clone(), config.scale * 255.0, cv::Size(), cv::Scalar(m, m, m), false, false, CV_32F);
    net.setInput(blob);
    cv::Mat out;
    try {
        out = net.forward();
    } catch (const cv::Exception& e) {
        throw Error("matting: Kiln's matting network failed (" + e.msg + ")");
    }
    if (out.dims != 4 || out.size[2] != resolution || out.size[3] != resolution) throw Error("matting: the network returned an unexpected shape");
    return cv::Mat(resolution, resolution, CV_32F, out.ptr<float>()).clone();
}

core::Image KilnMattingNet::runRaw(const core::Image& image) { return alphaImage(m_state->forward(m_state->input(image))); }

core::Image KilnMattingNet::run(const core::Image& image, bool flipAverage) {
    const cv::Mat small = m_state->input(image);
    cv::Mat raw = m_state->forward(small);
    if (flipAverage) {
        // The mirrored image's matte, mirrored back (the squashed input mirrored: the same pixels).
        cv::Mat mirrored, back;
        cv::flip(small, mirrored, 1);
        cv::flip(m_state->forward(mirrored), back, 1);
        raw = 0.5 * (raw + back);
    }
    cv::Mat full;
    cv::resize(raw, full, cv::Size(image.width, image.height), 0, 0, cv::INTER_LINEAR);
    core::Image alpha = alphaImage(full);
    // Snap the upsampled edges to the image's when it is much larger than the network's input.
    const double factor = double(std::max(image.width, image.height)) / double(m_state->resolution);
    if (factor >= 1.5) alpha = guidedFilter(image, alpha, std::max(2, int(std::lround(2.0 * factor))), 1e-3);
    return alpha;
}

core::Image guidedFilter(const core::Image& image, const core::Image& alpha, int radius, double eps) {
    if (alpha.width != image.width || alpha.height != image.height || alpha.channels != 1) throw Error("guided filter: the matte does not match the image");
    cv::Mat grey;
    cv::cvtColor(rgbFloat(image), grey, cv::COLOR_RGB2GRAY);
    const cv::Mat p = alphaMat(alpha);
    const cv::Size k(2 * radius + 1, 2 * radius + 1);
    auto box = [&](const cv::Mat& m) {
        cv::Mat out;
        cv::boxFilter(m, out, CV_32F, k, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
        return out;
    };
    const cv::Mat meanI = box(grey), meanP = box(p), corrII = box(grey.mul(grey)), corrIP = box(grey.mul(p));
    const cv::Mat varI = corrII - meanI.mul(meanI), covIP = corrIP - meanI.mul(meanP);
    const cv::Mat a = covIP / (varI + eps), b = meanP - a.mul(meanI);
    cv::Mat q = box(a).mul(grey) + box(b);
    cv::min(cv::max(q, 0.0), 1.0, q);
    return alphaImage(q);
}

} // namespace kiln::models
