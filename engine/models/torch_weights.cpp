#include "models/torch_weights.h"

#include "core/error.h"

#include <cstring>
#include <set>

namespace kiln::models {

namespace {

DType dtypeOf(torch::ScalarType t, const std::string& name) {
    switch (t) {
    case torch::kFloat64: return DType::F64;
    case torch::kFloat32: return DType::F32;
    case torch::kFloat16: return DType::F16;
    case torch::kBFloat16: return DType::BF16;
    case torch::kInt64: return DType::I64;
    case torch::kInt32: return DType::I32;
    case torch::kInt16: return DType::I16;
    case torch::kInt8: return DType::I8;
    case torch::kUInt8: return DType::U8;
    case torch::kBool: return DType::Bool;
    default: throw Error("tensor '" + name + "': dtype cannot be stored in safetensors");
    }
}

torch::ScalarType scalarOf(DType d) {
    switch (d) {
    case DType::F64: return torch::kFloat64;
    case DType::F32: return torch::kFloat32;
    case DType::F16: return torch::kFloat16;
    case DType::BF16: return torch::kBFloat16;
    case DType::I64: return torch::kInt64;
    case DType::I32: return torch::kInt32;
    case DType::I16: return torch::kInt16;
    case DType::I8: return torch::kInt8;
    case DType::U8: return torch::kUInt8;
    case DType::Bool: return torch::kBool;
    }
    return torch::kFloat32;
}

std::string shapeText(c10::IntArrayRef shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

} // namespace

TensorData tensorData(const std::string& name, const torch::Tensor& tensor) {
    const auto cpu = tensor.detach().to(torch::kCPU).contiguous();
    TensorData d;
    d.name = name;
    d.dtype = dtypeOf(cpu.scalar_type(), name);
    d.shape.assign(cpu.sizes().begin(), cpu.sizes().end());
    d.bytes.resize(std::size_t(cpu.numel()) * cpu.element_size());
    if (!d.bytes.empty()) std::memcpy(d.bytes.data(), cpu.data_ptr(), d.bytes.size());
    return d;
}

torch::Tensor toTensor(const TensorData& data) {
    auto t = torch::empty(std::vector<std::int64_t>(data.shape.begin(), data.shape.end()), torch::TensorOptions().dtype(scalarOf(data.dtype)));
    if (!data.bytes.empty()) std::memcpy(t.data_ptr(), data.bytes.data(), data.bytes.size());
    return t;
}

SafetensorsFile moduleWeights(const torch::nn::Module& module, std::map<std::string, std::string> metadata) {
    SafetensorsFile file;
    file.metadata = std::move(metadata);
    for (const auto& p : module.named_parameters(true)) file.tensors.push_back(tensorData(p.key(), p.value()));
    for (const auto& b : module.named_buffers(true)) file.tensors.push_back(tensorData(b.key(), b.value()));
    return file;
}

void loadModuleWeights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& what) {
    std::set<std::string> expected;
    torch::NoGradGuard noGrad;
    auto copyInto = [&](const std::string& name, torch::Tensor target) {
        expected.insert(name);
        const TensorData* d = file.find(name);
        if (!d) throw Error(what + ": tensor '" + name + "' is missing (the weights do not belong to this network)");
        const auto source = toTensor(*d);
        if (source.sizes() != target.sizes())
            throw Error(what + ": tensor '" + name + "' has shape " + shapeText(source.sizes()) + ", the network needs " + shapeText(target.sizes()));
        if (!source.is_floating_point() && target.is_floating_point())
            throw Error(what + ": tensor '" + name + "' holds " + toString(d->dtype) + ", the network needs floating point");
        target.copy_(source.to(target.scalar_type()));
    };
    for (auto& p : module.named_parameters(true)) copyInto(p.key(), p.value());
    for (auto& b : module.named_buffers(true)) copyInto(b.key(), b.value());
    for (const auto& t : file.tensors)
        if (!expected.count(t.name)) throw Error(what + ": tensor '" + t.name + "' is not part of this network (wrong model or architecture)");
}

void loadModuleWeights(torch::nn::Module& module, const std::filesystem::path& path) {
    loadModuleWeights(module, readSafetensors(path), path.string());
}

void saveModuleWeights(const torch::nn::Module& module, const std::filesystem::path& path, bool overwrite,
                       std::map<std::string, std::string> metadata) {
    writeSafetensors(moduleWeights(module, std::move(metadata)), path, overwrite);
}

} // namespace kiln::models
