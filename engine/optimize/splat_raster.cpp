#include "optimize/splat_raster.h"

#include "core/error.h"
#include "optimize/splat_raster_device.h"

#include <glm/gtc/type_ptr.hpp>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>

namespace kiln::optimize {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The CPU forward pass's state, owned by a one-byte tensor in the autograd context: the backward
// pass reads it in place (copying it into tensors and back took ~5 % of a fit), and when the
// context goes, the state goes back to a small pool that keeps its buffers' capacity for the next
// forward pass (fresh buffers every iteration cost page faults).
class StatePool {
public:
    static std::unique_ptr<RasterState> take() {
        std::lock_guard lock(mutex());
        auto& free = list();
        if (free.empty()) return std::make_unique<RasterState>();
        std::unique_ptr<RasterState> s = std::move(free.back());
        free.pop_back();
        return s;
    }
    static void give(RasterState* s) {
        std::unique_ptr<RasterState> owned(s);
        std::lock_guard lock(mutex());
        if (list().size() < kKept) list().push_back(std::move(owned));
    }

private:
    static constexpr std::size_t kKept = 4;
    // Never destroyed: a state may come back from a tensor freed during static destruction.
    static std::mutex& mutex() {
        static auto* m = new std::mutex;
        return *m;
    }
    static std::vector<std::unique_ptr<RasterState>>& list() {
        static auto* l = new std::vector<std::unique_ptr<RasterState>>;
        return *l;
    }
};

torch::Tensor holdState(std::unique_ptr<RasterState> state) {
    RasterState* raw = state.release();
    return torch::from_blob(raw, {1}, [](void* p) { StatePool::give(static_cast<RasterState*>(p)); }, torch::kUInt8);
}

// Plain structs kept in the autograd context as bytes.
template <class T>
torch::Tensor packBytes(const T& value) {
    torch::Tensor t = torch::empty({std::int64_t(sizeof(T))}, torch::kUInt8);
    std::memcpy(t.data_ptr(), &value, sizeof value);
    return t;
}

template <class T>
T unpackBytes(const torch::Tensor& t) {
    T value;
    std::memcpy(&value, t.data_ptr(), sizeof value);
    return value;
}

SplatParams paramsOf(const torch::Tensor& means, const torch::Tensor& logScales, const torch::Tensor& rotations,
                     const torch::Tensor& opacityLogits, const torch::Tensor& sh, int degree) {
    SplatParams p;
    p.means = means.data_ptr<float>();
    p.logScales = logScales.data_ptr<float>();
    p.rotations = rotations.data_ptr<float>();
    p.opacityLogits = opacityLogits.data_ptr<float>();
    p.sh = sh.data_ptr<float>();
    p.count = means.size(0);
    p.coeffStride = int(sh.size(1));
    p.degree = degree;
    return p;
}

// Device buffers of one pass as LibTorch tensors (its caching allocator), kept for backward.
class TensorAllocator : public DeviceAllocator {
public:
    explicit TensorAllocator(torch::Device device) : m_device(device) {}
    void* allocate(std::size_t bytes) override {
        m_tensors.push_back(torch::empty({std::int64_t(bytes)}, torch::TensorOptions().dtype(torch::kUInt8).device(m_device)));
        return m_tensors.back().data_ptr();
    }
    std::vector<torch::Tensor> tensors() const { return m_tensors; }

private:
    torch::Device m_device;
    std::vector<torch::Tensor> m_tensors;
};

std::atomic<const DeviceKernels*> g_kernelsForCpuTensors{nullptr};

// The device kernels for tensors on `t`'s device, or nullptr for the CPU kernels.
const DeviceKernels* deviceKernelsFor(const torch::Tensor& t) {
#if defined(KILN_HAVE_CUDA)
    static const DeviceKernels cuda{cudaRasterizeForward, cudaRasterizeBackward};
    if (t.is_cuda()) return &cuda;
#endif
    return t.is_cpu() ? g_kernelsForCpuTensors.load() : nullptr;
}

class RasterizeFunction : public torch::autograd::Function<RasterizeFunction> {
public:
    static variable_list forward(AutogradContext* ctx, torch::Tensor means, torch::Tensor logScales, torch::Tensor rotations,
                                 torch::Tensor opacityLogits, torch::Tensor sh, torch::Tensor means2D, const RasterCamera& camera,
                                 glm::vec3 background, int degree) {
        (void)means2D;
        means = means.contiguous();
        logScales = logScales.contiguous();
        rotations = rotations.contiguous();
        opacityLogits = opacityLogits.contiguous();
        sh = sh.contiguous();
        ctx->save_for_backward({means, logScales, rotations, opacityLogits, sh});
        ctx->saved_data["camera"] = packBytes(camera);
        ctx->saved_data["background"] = torch::tensor({background.x, background.y, background.z});
        ctx->saved_data["degree"] = std::int64_t(degree);
        if (const DeviceKernels* kernels = deviceKernelsFor(means)) {
            TensorAllocator allocator(means.device());
            DeviceRasterState state;
            torch::Tensor image = torch::empty({camera.height, camera.width, 3}, means.options());
            kernels->forward(paramsOf(means, logScales, rotations, opacityLogits, sh, degree), camera, glm::value_ptr(background), allocator,
                             state, image.data_ptr<float>(), means.device().index(), nullptr);
            torch::Tensor radii = torch::from_blob(state.radius, {state.count}, means.options().dtype(torch::kInt32)).clone();
            ctx->saved_data["deviceState"] = packBytes(state);
            ctx->saved_data["deviceBuffers"] = allocator.tensors();
            ctx->mark_non_differentiable({radii});
            return {image, radii};
        }
        std::unique_ptr<RasterState> state = StatePool::take();
        torch::Tensor image = torch::empty({camera.height, camera.width, 3}, torch::kFloat32);
        rasterizeForward(paramsOf(means, logScales, rotations, opacityLogits, sh, degree), camera, glm::value_ptr(background), *state,
                         image.data_ptr<float>());
        torch::Tensor radii = torch::from_blob(state->radius.data(), {std::int64_t(state->radius.size())}, torch::kInt32).clone();
        ctx->saved_data["state"] = holdState(std::move(state));
        ctx->mark_non_differentiable({radii});
        return {image, radii};
    }

    static variable_list backward(AutogradContext* ctx, variable_list gradOutputs) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &means = saved[0], &logScales = saved[1], &rotations = saved[2], &opacityLogits = saved[3], &sh = saved[4];
        const RasterCamera camera = unpackBytes<RasterCamera>(ctx->saved_data["camera"].toTensor());
        const torch::Tensor bg = ctx->saved_data["background"].toTensor();
        const int degree = int(ctx->saved_data["degree"].toInt());
        const torch::Tensor dLdImage = gradOutputs[0].contiguous();
        torch::Tensor gMeans = torch::zeros_like(means), gScales = torch::zeros_like(logScales), gRot = torch::zeros_like(rotations),
                      gOpacity = torch::zeros_like(opacityLogits), gSh = torch::zeros_like(sh),
                      gMeans2D = torch::zeros({means.size(0), 2}, means.options());
        SplatGradients grads{gMeans.data_ptr<float>(), gScales.data_ptr<float>(), gRot.data_ptr<float>(), gOpacity.data_ptr<float>(),
                             gSh.data_ptr<float>(), gMeans2D.data_ptr<float>()};
        const variable_list result = {gMeans, gScales, gRot, gOpacity, gSh, gMeans2D, torch::Tensor(), torch::Tensor(), torch::Tensor()};
        if (ctx->saved_data.count("deviceState")) {
            const DeviceKernels* kernels = deviceKernelsFor(means);
            if (!kernels) throw Error("splat rasterizer: the device kernels of the forward pass are gone");
            TensorAllocator allocator(means.device());
            kernels->backward(paramsOf(means, logScales, rotations, opacityLogits, sh, degree), camera, bg.data_ptr<float>(),
                              unpackBytes<DeviceRasterState>(ctx->saved_data["deviceState"].toTensor()), allocator, dLdImage.data_ptr<float>(), grads,
                              means.device().index(), nullptr);
            return result;
        }
        const RasterState& state = *static_cast<const RasterState*>(ctx->saved_data["state"].toTensor().data_ptr());
        rasterizeBackward(paramsOf(means, logScales, rotations, opacityLogits, sh, degree), camera, bg.data_ptr<float>(), state,
                          dLdImage.data_ptr<float>(), grads);
        return result;
    }
};

void checkInput(const torch::Tensor& t, const char* name, std::int64_t n, std::vector<std::int64_t> tail, torch::Device device) {
    if (!t.defined() || t.scalar_type() != torch::kFloat32) throw Error(std::string("splat rasterizer: ") + name + " must be a float32 tensor");
    if (t.device() != device) throw Error(std::string("splat rasterizer: ") + name + " is on " + t.device().str() + ", the means on " + device.str());
    if (t.dim() != std::int64_t(tail.size()) + 1 || t.size(0) != n) throw Error(std::string("splat rasterizer: ") + name + " has the wrong shape");
    for (std::size_t k = 0; k < tail.size(); ++k)
        if (tail[k] >= 0 && t.size(std::int64_t(k) + 1) != tail[k]) throw Error(std::string("splat rasterizer: ") + name + " has the wrong shape");
}

} // namespace

void setDeviceKernelsForCpuTensors(const DeviceKernels* kernels) { g_kernelsForCpuTensors.store(kernels); }

bool rasterizerHasCuda() {
#if defined(KILN_HAVE_CUDA)
    return torch::cuda::is_available();
#else
    return false;
#endif
}

RasterOutput rasterizeSplats(const torch::Tensor& means, const torch::Tensor& logScales, const torch::Tensor& rotations,
                             const torch::Tensor& opacityLogits, const torch::Tensor& sh, const torch::Tensor& means2D,
                             const RasterCamera& camera, glm::vec3 background, int degree) {
    const std::int64_t n = means.defined() ? means.size(0) : 0;
    const torch::Device device = means.defined() ? means.device() : torch::Device(torch::kCPU);
    if (device.is_cuda() && !rasterizerHasCuda()) throw Error("splat rasterizer: CUDA tensors, but this build has no CUDA kernels");
    if (!device.is_cpu() && !device.is_cuda()) throw Error("splat rasterizer: tensors must be on the CPU or a CUDA device, not " + device.str());
    checkInput(means, "means", n, {3}, device);
    checkInput(logScales, "logScales", n, {3}, device);
    checkInput(rotations, "rotations", n, {4}, device);
    checkInput(opacityLogits, "opacityLogits", n, {}, device);
    checkInput(sh, "sh", n, {-1, 3}, device);
    checkInput(means2D, "means2D", n, {2}, device);
    if (degree < 0 || degree > 3 || sh.size(1) < (degree + 1) * (degree + 1)) throw Error("splat rasterizer: SH degree does not fit the coefficients");
    if (camera.width <= 0 || camera.height <= 0) throw Error("splat rasterizer: empty image size");
    auto out = RasterizeFunction::apply(means, logScales, rotations, opacityLogits, sh, means2D, camera, background, degree);
    return {out[0], out[1]};
}

} // namespace kiln::optimize
