// engine/models with LibTorch: network blocks, module weights in safetensors, the flow sampler
// and the compute-thread configuration.
#include "core/error.h"
#include "models/blocks.h"
#include "models/compute.h"
#include "models/flow_sampler.h"
#include "models/torch_weights.h"

#include "test_util.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using namespace kiln;

namespace {

struct TinyNetImpl : torch::nn::Module {
    explicit TinyNetImpl(int width) {
        block = register_module("block", models::DiTBlock(width, 2, 2));
        cross = register_module("cross", models::CrossBlock(width, 6, 2, 2));
        head = register_module("head", torch::nn::Linear(width, 3));
        register_buffer("scale", torch::ones({3}));
    }
    models::DiTBlock block{nullptr};
    models::CrossBlock cross{nullptr};
    torch::nn::Linear head{nullptr};
};
TORCH_MODULE(TinyNet);

fs::path out(const std::string& name) {
    const fs::path dir = fs::path(KILN_TEST_OUTPUT_DIR) / "models";
    fs::create_directories(dir);
    fs::remove(dir / name);
    return dir / name;
}

using kiln::test::expectError;

} // namespace

TEST(Blocks, ShapesMasksAndIdentityAtInit) {
    torch::manual_seed(0);
    models::Attention attn(16, 4);
    const auto x = torch::randn({2, 5, 16});
    auto keep = torch::ones({2, 5}, torch::kBool);
    const auto y = attn->forward(x, keep);
    EXPECT_EQ(y.sizes(), x.sizes());
    // A masked key changes nothing when its value changes.
    keep[0][4] = false;
    auto x2 = x.clone();
    x2[0][4] += 10.0;
    const auto a = attn->forward(x, keep), b = attn->forward(x2, keep);
    EXPECT_TRUE(torch::allclose(a[0].slice(0, 0, 4), b[0].slice(0, 0, 4), 1e-5, 1e-5));
    // adaLN-Zero: a fresh DiT block is the identity whatever the condition.
    models::DiTBlock dit(16, 4, 2);
    EXPECT_TRUE(torch::allclose(dit->forward(x, torch::ones({2, 5}, torch::kBool), torch::randn({2, 16})), x));
    models::CrossBlock cross(16, 6, 4, 2);
    EXPECT_EQ(cross->forward(x, torch::randn({2, 7, 6})).sizes(), x.sizes());
    EXPECT_EQ(models::timestepEmbedding(torch::rand({3}), 16).sizes(), (std::vector<std::int64_t>{3, 16}));
    EXPECT_EQ(models::fourierFeatures(torch::rand({4, 3}), 5).size(1), 33);
}

TEST(TorchWeights, RoundTripAndClearErrors) {
    torch::manual_seed(1);
    TinyNet a(8), b(8);
    const fs::path file = out("tiny.safetensors");
    models::saveModuleWeights(*a, file, false, {{"slot", "test"}});
    models::loadModuleWeights(*b, file);
    for (const auto& p : a->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), b->named_parameters()[p.key()])) << p.key();
    EXPECT_EQ(models::readSafetensors(file).metadata.at("slot"), "test");
    // Another width: a wrong-shape tensor, named.
    TinyNet wide(12);
    expectError([&] { models::loadModuleWeights(*wide, file); }, "has shape");
    // A tensor missing, or one too many.
    auto f = models::moduleWeights(*a);
    auto fewer = f;
    fewer.tensors.pop_back();
    expectError([&] { models::loadModuleWeights(*b, fewer, "x.safetensors"); }, "is missing");
    auto more = f;
    more.tensors.push_back(models::tensorData("stray", torch::zeros({2})));
    expectError([&] { models::loadModuleWeights(*b, more, "x.safetensors"); }, "'stray' is not part of this network");
}

TEST(FlowSampler, IntegratesAKnownVelocityAndAppliesGuidanceAndConstraints) {
    // v = eps - x0 for a straight path from x0 = 2 to eps = x(t=1): Euler is exact for constant v.
    const auto x1 = torch::full({1, 4}, 5.0);
    const auto x0 = torch::full({1, 4}, 2.0);
    const auto v = x1 - x0;
    core::CancelToken cancel;
    int steps = 0;
    const auto end = models::sampleFlowEuler(x1, {.steps = 8}, [&](const torch::Tensor&, float) { return v; }, cancel,
                                             [&](int, float, const torch::Tensor&, const torch::Tensor&) { ++steps; });
    EXPECT_EQ(steps, 8);
    EXPECT_TRUE(torch::allclose(end, x0, 1e-5, 1e-5));
    // Guidance: uncond + w (cond - uncond).
    const auto stacked = torch::stack({torch::full({4}, 3.0), torch::full({4}, 1.0)});
    EXPECT_TRUE(torch::allclose(models::guidedVelocity(stacked, 2.0f), torch::full({1, 4}, 5.0)));
    // A constraint holds a coordinate fixed at every step.
    const auto held = models::sampleFlowEuler(
        x1, {.steps = 4}, [&](const torch::Tensor&, float) { return v; }, cancel, {},
        [](const torch::Tensor& x, float) {
            auto y = x.clone();
            y[0][0] = 9.0;
            return y;
        });
    EXPECT_FLOAT_EQ(held[0][0].item<float>(), 9.0f);
    // Cancelled before the first step.
    cancel.cancel();
    EXPECT_THROW(models::sampleFlowEuler(x1, {.steps = 4}, [&](const torch::Tensor&, float) { return v; }, cancel), Cancelled);
    expectError([&] { models::sampleFlowEuler(x1, {.steps = 0}, [&](const torch::Tensor&, float) { return v; }, core::CancelToken()); }, "step");
}

TEST(Compute, ThreadsBesideLoadLeaveTheBusyCoresAlone) {
    EXPECT_EQ(models::threadsBesideLoad(2, 0.0), 2);
    EXPECT_EQ(models::threadsBesideLoad(2, 0.3), 2);   // daemons, a browser tab
    EXPECT_EQ(models::threadsBesideLoad(2, 0.67), 1);  // one spinning process beside our two threads
    EXPECT_EQ(models::threadsBesideLoad(2, 1.0), 1);   // the same, once we run one
    EXPECT_EQ(models::threadsBesideLoad(2, 3.0), 1);   // never below one
    EXPECT_EQ(models::threadsBesideLoad(8, 2.0), 6);
    EXPECT_EQ(models::threadsBesideLoad(1, 1.0), 1);
    EXPECT_EQ(models::threadsBesideLoad(4, -1.0), 4);  // unknown load
}

// A child process spinning on one core for a second is seen as about a core of other load.
TEST(Compute, OtherLoadSamplerSeesAnotherProcess) {
    models::OtherLoadSampler sampler;
    if (sampler.sample() != -1.0) GTEST_SKIP() << "the first sample must say 'unknown'";
    auto spin = [](double seconds) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        volatile unsigned long n = 0;
        while (std::chrono::steady_clock::now() < end) n = n + 1;
    };
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        spin(1.2);
        _exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sampler.sample();
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    const double withChild = sampler.sample();
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_GT(withChild, 0.7) << "a spinning child process";
    EXPECT_LT(withChild, 8.0);
    // This process spinning: its own load is not another's (printed: other tests may run beside
    // this one under ctest -j, so no bound holds for it).
    sampler.sample();
    spin(0.8);
    const double self = sampler.sample();
    EXPECT_GE(self, 0.0);
    std::printf("other load while a child spun: %.2f cores; while this process spun: %.2f\n", withChild, self);
}

TEST(Compute, ThreadsConfigured) {
    EXPECT_GT(models::computeThreads(), 0);
    models::configureComputeThreads(1);
    EXPECT_EQ(models::computeThreads(), 1);
    models::configureComputeThreads(0);
    EXPECT_GE(models::computeThreads(), 1);
}
