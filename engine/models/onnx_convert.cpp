#include "models/onnx_convert.h"

#include "core/error.h"
#include "models/packs.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <vector>

namespace kiln::models {

namespace {

onnx::ModelProto parse(std::span<const std::uint8_t> bytes, const std::string& what) {
    onnx::ModelProto m;
    if (bytes.empty() || !m.ParseFromArray(bytes.data(), int(bytes.size())) || !m.has_graph() || m.graph().node_size() == 0)
        throw Error(what + ": not an ONNX model (the protobuf does not parse or has no graph)");
    return m;
}

std::string serialise(const onnx::ModelProto& m, const std::string& what) {
    std::string out;
    if (!m.SerializeToString(&out)) throw Error(what + ": the converted ONNX model could not be written");
    return out;
}

std::size_t elementCount(const onnx::TensorProto& t) {
    std::size_t n = 1;
    for (const auto d : t.dims()) n *= std::size_t(d);
    return n;
}

} // namespace

std::string convertToFloat32(std::span<const std::uint8_t> bytes, const std::string& what, OnnxConversionReport* report) {
    onnx::ModelProto m = parse(bytes, what);
    onnx::GraphProto* g = m.mutable_graph();
    OnnxConversionReport r;
    for (auto& t : *g->mutable_initializer()) {
        if (t.data_type() != onnx::TensorProto::FLOAT16) continue;
        const std::size_t n = elementCount(t);
        std::vector<float> values(n);
        if (t.has_raw_data()) {
            if (t.raw_data().size() != 2 * n) throw Error(what + ": initialiser " + t.name() + " has " + std::to_string(t.raw_data().size()) + " bytes for " + std::to_string(n) + " halves");
            for (std::size_t i = 0; i < n; ++i) {
                std::uint16_t h;
                std::memcpy(&h, t.raw_data().data() + 2 * i, 2);
                values[i] = halfToFloat(h);
            }
        } else {
            if (std::size_t(t.int32_data_size()) != n) throw Error(what + ": initialiser " + t.name() + " has the wrong number of values");
            for (std::size_t i = 0; i < n; ++i) values[i] = halfToFloat(std::uint16_t(t.int32_data(int(i))));
        }
        t.clear_int32_data();
        t.set_data_type(onnx::TensorProto::FLOAT);
        t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), n * sizeof(float)));
        ++r.initialisersConverted;
    }
    // Casts go: whoever read a Cast's output reads its input.
    std::map<std::string, std::string> alias;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    for (const auto& n : g->node()) {
        if (n.op_type() == "Cast" && n.input_size() == 1 && n.output_size() == 1) {
            alias[n.output(0)] = n.input(0);
            ++r.castsRemoved;
        } else {
            kept.Add()->CopyFrom(n);
        }
    }
    auto resolve = [&](std::string name) {
        for (auto it = alias.find(name); it != alias.end(); it = alias.find(name)) name = it->second;
        return name;
    };
    for (auto& n : kept)
        for (int i = 0; i < n.input_size(); ++i) n.set_input(i, resolve(n.input(i)));
    g->mutable_node()->Swap(&kept);
    if (g->output_size() < 1 || g->input_size() < 1) throw Error(what + ": the graph has no input or output");
    r.outputsDropped = g->output_size() - 1;
    while (g->output_size() > 1) g->mutable_output()->RemoveLast();
    // The output keeps its name: the node that made the (removed) Cast's input now writes it.
    onnx::ValueInfoProto* out = g->mutable_output(0);
    const std::string source = resolve(out->name());
    if (source != out->name()) {
        for (auto& n : *g->mutable_node())
            for (int i = 0; i < n.output_size(); ++i)
                if (n.output(i) == source) n.set_output(i, out->name());
        for (auto& n : *g->mutable_node())
            for (int i = 0; i < n.input_size(); ++i)
                if (n.input(i) == source) n.set_input(i, out->name());
    }
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto& in : *g->mutable_input()) in.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    g->clear_value_info();
    if (report) *report = r;
    return serialise(m, what);
}

std::string atResolution(const std::string& model, int native, int resolution, const std::string& what) {
    onnx::ModelProto m = parse({reinterpret_cast<const std::uint8_t*>(model.data()), model.size()}, what);
    onnx::GraphProto* g = m.mutable_graph();
    auto* shape = g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != 4) throw Error(what + ": the input is not an N x C x H x W image");
    shape->mutable_dim(2)->set_dim_value(resolution);
    shape->mutable_dim(3)->set_dim_value(resolution);
    std::map<std::string, onnx::NodeProto*> producer;
    for (auto& n : *g->mutable_node())
        for (const auto& o : n.output()) producer[o] = &n;
    auto scaled = [&](std::int64_t v) {
        const std::int64_t s = v * resolution;
        if (s % native != 0 || s == 0)
            throw Error(what + ": resolution " + std::to_string(resolution) + " does not keep a " + std::to_string(v) + "-pixel stage whole (use a multiple of 32)");
        return s / native;
    };
    for (auto& n : *g->mutable_node()) {
        if (n.op_type() != "Resize" || n.input_size() < 4) continue;
        // sizes = Concat(Slice(Shape(x)) -> N, C; Constant -> H, W)
        onnx::NodeProto* concat = producer.count(n.input(3)) ? producer[n.input(3)] : nullptr;
        if (!concat || concat->op_type() != "Concat" || concat->input_size() != 2) throw Error(what + ": Resize " + n.name() + " has no N, C + constant size input");
        onnx::NodeProto* constant = producer.count(concat->input(1)) ? producer[concat->input(1)] : nullptr;
        if (!constant || constant->op_type() != "Constant" || constant->attribute_size() < 1 || !constant->attribute(0).has_t())
            throw Error(what + ": Resize " + n.name() + "'s target size is not a constant");
        onnx::TensorProto* t = constant->mutable_attribute(0)->mutable_t();
        if (t->data_type() != onnx::TensorProto::INT64) throw Error(what + ": Resize " + n.name() + "'s target size is not int64");
        if (t->has_raw_data()) {
            std::string raw = t->raw_data();
            for (std::size_t i = 0; i + 8 <= raw.size(); i += 8) {
                std::int64_t v;
                std::memcpy(&v, raw.data() + i, 8);
                v = scaled(v);
                std::memcpy(raw.data() + i, &v, 8);
            }
            t->set_raw_data(raw);
        } else {
            for (int i = 0; i < t->int64_data_size(); ++i) t->set_int64_data(i, scaled(t->int64_data(i)));
        }
    }
    return serialise(m, what);
}

} // namespace kiln::models
