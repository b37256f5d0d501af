// Kiln's matting network: training composites, the folded ONNX network against the LibTorch one
// it was trained as, training, and the bundled model on held-out composites.
#include "core/error.h"
#include "io/image_io.h"
#include "models/image_views.h"
#include "models/matting.h"
#include "models/matting_net.h"
#include "models/matting_training.h"
#include "procgen/dataset.h"
#include "procgen/procgen.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;

namespace kiln::models {
namespace {

fs::path smallDataset(const fs::path& dir) {
    procgen::DatasetOptions o;
    o.outDir = dir;
    o.count = 40;
    o.seed = 3;
    o.meshes = false;
    o.samples = 0;
    o.force = true;
    core::Progress quiet;
    procgen::buildDataset(o, quiet);
    return dir;
}

MattingTrainOptions tinyRun(const fs::path& dir, int steps) {
    MattingTrainOptions o;
    o.data = smallDataset(dir / "data");
    o.photos = test::testdata("backgrounds");
    o.trainPhotos = {"kodim01.jpg", "kodim02.jpg", "kodim03.jpg"};
    o.out = dir / "model";
    o.items = 12;
    o.viewsPerItem = 1;
    o.renderSize = 64;
    o.resolution = 64;
    o.channels = {8, 12, 16, 24};
    o.steps = steps;
    o.batch = 6;
    o.warmupSteps = 2;
    o.checkpointEvery = 5;
    o.threads = 1;
    o.seed = 4;
    o.overwrite = true;
    return o;
}

// An object of a held-out category (rendered as the trainer renders, another seed) centred at
// 70 % of a 256 px frame over a photograph: how a photo of one object is usually taken.
MatteSample centredComposite(const char* category, std::uint64_t seed, const core::Image& photo) {
    const procgen::ProcAsset a = procgen::generate(procgen::randomParams(procgen::categoryIndex(category), seed), {.textureSize = 0});
    const MattingObject obj = cutOutObject(renderAssetView(a, randomTrainingView(600 + seed), 256, 2));
    if (obj.width == 0) throw Error("the render shows no object");
    core::Image rgba = core::Image::makeF32(256, 256, 4);
    const float scale = 0.7f * 256.0f / float(std::max(obj.width, obj.height));
    const int w = int(float(obj.width) * scale), h = int(float(obj.height) * scale), x0 = (256 - w) / 2, y0 = (256 - h) / 2;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int sx = std::min(obj.width - 1, int(float(x) / scale)), sy = std::min(obj.height - 1, int(float(y) / scale));
            for (int c = 0; c < 4; ++c)
                rgba.f32[4 * (std::size_t(y0 + y) * 256 + std::size_t(x0 + x)) + std::size_t(c)] =
                    float(obj.rgba[4 * (std::size_t(sy) * std::size_t(obj.width) + std::size_t(sx)) + std::size_t(c)]) / 255.0f;
        }
    return compositeOverPhoto(rgba, photo, 256, category);
}

TEST(Matting, CompositesPutTheTruthWhereTheObjectIs) {
    const procgen::ProcAsset chair = procgen::generate(procgen::randomParams(procgen::categoryIndex("chair"), 3), {.textureSize = 0});
    const MattingObject obj = cutOutObject(renderAssetView(chair, randomTrainingView(1), 96, 2));
    ASSERT_GT(obj.width, 10);
    const auto photos = loadBackgroundPhotos(test::testdata("backgrounds"), {"kodim05.jpg"}, 160);
    ASSERT_EQ(photos.size(), 1u);
    EXPECT_LE(std::min(photos[0].width, photos[0].height), 160);
    int withObject = 0;
    for (std::uint64_t s = 0; s < 20; ++s) {
        std::mt19937_64 a(s), b(s);
        const MattingComposite c = composeMattingSample(&obj, photos, 96, a), d = composeMattingSample(&obj, photos, 96, b);
        EXPECT_EQ(c.rgb.f32, d.rgb.f32) << "deterministic for a seed";
        EXPECT_EQ(c.truth.f32, d.truth.f32);
        double cover = 0.0;
        for (const float v : c.truth.f32) {
            EXPECT_GE(v, 0.0f);
            EXPECT_LE(v, 1.0f);
            cover += v;
        }
        cover /= double(c.truth.f32.size());
        if (cover > 0.01) ++withObject;
    }
    EXPECT_GE(withObject, 16) << "about 5 % of samples have no object";
    std::mt19937_64 rng(9);
    const MattingComposite none = composeMattingSample(nullptr, photos, 64, rng);
    EXPECT_EQ(*std::max_element(none.truth.f32.begin(), none.truth.f32.end()), 0.0f);
}

TEST(Matting, FoldedOnnxNetworkMatchesTheTrainedOne) {
    const fs::path dir = test::scratchDir();
    core::Progress quiet;
    core::CancelToken cancel;
    MattingTrainOptions o = tinyRun(dir, 10);
    const MattingTrainResult r = trainMatting(o, quiet, cancel);
    EXPECT_EQ(r.steps, 10);
    ASSERT_TRUE(isKilnMattingNet(o.out));
    // A composite at the network's resolution through both: LibTorch with batch norm, OpenCV's DNN
    // with batch norm folded into the convs.
    const auto photos = loadBackgroundPhotos(test::testdata("backgrounds"), {"kodim20.jpg"}, 128);
    const procgen::ProcAsset lamp = procgen::generate(procgen::randomParams(procgen::categoryIndex("lamp"), 2), {.textureSize = 0});
    const MattingObject obj = cutOutObject(renderAssetView(lamp, randomTrainingView(5), 96, 1));
    for (const int res : {64, 96}) {
        std::mt19937_64 rng(1);
        const MattingComposite c = composeMattingSample(&obj, photos, res, rng);
        const core::Image ref = runMattingCheckpoint(o.out, c.rgb, res);
        KilnMattingNet net(o.out, res);
        const core::Image got = net.runRaw(c.rgb);
        ASSERT_EQ(got.width, res);
        double worst = 0.0;
        for (std::size_t i = 0; i < ref.f32.size(); ++i) worst = std::max(worst, double(std::abs(ref.f32[i] - got.f32[i])));
        EXPECT_LT(worst, 1e-4) << "resolution " << res;
    }
}

TEST(Matting, TrainingLowersTheLossAndResumesOnTheSameCurve) {
    const fs::path dir = test::scratchDir();
    core::Progress quiet;
    core::CancelToken cancel;
    // Long enough (about 2 s) that the progress report (every 500 ms) lands mid-run.
    MattingTrainOptions whole = tinyRun(dir / "whole", 60);
    whole.checkpointEvery = 4;
    trainMatting(whole, quiet, cancel);
    // The same run cancelled after a checkpoint, then resumed to the end.
    MattingTrainOptions part = tinyRun(dir / "part", 60);
    part.checkpointEvery = 4;
    core::CancelToken stop;
    int stoppedAt = 0;
    core::Progress stopper([&](const core::ProgressUpdate& u) {
        if (std::sscanf(u.stage.c_str(), "step %d/", &stoppedAt) == 1 && stoppedAt > 4) stop.cancel();
    });
    bool cancelled = false;
    try {
        trainMatting(part, stopper, stop);
    } catch (const Cancelled&) {
        cancelled = true;
    }
    EXPECT_TRUE(cancelled) << "the run ended before it was cancelled (step " << stoppedAt << ")";
    part.resume = true;
    part.overwrite = false;
    trainMatting(part, quiet, cancel);
    auto lossesOf = [](const fs::path& csv) {
        std::ifstream in(csv);
        std::string line;
        std::getline(in, line);
        std::vector<double> v;
        while (std::getline(in, line)) v.push_back(std::stod(line.substr(line.find(',') + 1)));
        return v;
    };
    const auto a = lossesOf(whole.out / "loss.csv"), b = lossesOf(part.out / "loss.csv");
    ASSERT_EQ(a.size(), 60u);
    EXPECT_EQ(a, b) << "a resumed run draws what the uninterrupted run drew";
    const double first = (a[0] + a[1] + a[2] + a[3]) / 4, last = (a[56] + a[57] + a[58] + a[59]) / 4;
    EXPECT_LT(last, 0.9 * first) << "the loss falls";
    EXPECT_EQ(readSafetensors(whole.out / "weights.safetensors").tensors.size(), readSafetensors(part.out / "weights.safetensors").tensors.size());
    // Another architecture on resume is refused, naming the folder.
    MattingTrainOptions other = tinyRun(dir / "part", 70);
    other.channels = {8, 16, 16, 24};
    other.resume = true;
    other.overwrite = false;
    test::expectError([&] { trainMatting(other, quiet, cancel); }, "--channels");
}

TEST(Matting, DamagedOrForeignModelFoldersAreOneClearError) {
    const fs::path dir = test::scratchDir();
    core::Progress quiet;
    core::CancelToken cancel;
    const MattingTrainOptions o = tinyRun(dir, 3);
    trainMatting(o, quiet, cancel);
    test::expectError([&] { KilnMattingNet(o.out, 70); }, "multiple of 16");
    // A weight missing or of another shape than the config says.
    const SafetensorsFile w = readSafetensors(o.out / "weights.safetensors");
    const MattingNetConfig c = readMattingNetConfig(o.out);
    SafetensorsFile missing = w;
    missing.tensors.erase(missing.tensors.begin());
    test::expectError([&] { mattingNetOnnx(missing, c, 64, "w.safetensors"); }, "enc0.0.weight' is missing");
    MattingNetConfig wider = c;
    wider.channels[1] = 13;
    test::expectError([&] { mattingNetOnnx(w, wider, 64, "w.safetensors"); }, "another shape");
    // Tampered weights: the manifest's checksum names the file.
    {
        std::fstream f(o.out / "weights.safetensors", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-4, std::ios::end);
        f.write("kiln", 4);
    }
    const std::string err = test::errorOf([&] { KilnMattingNet(o.out, 64); });
    EXPECT_NE(err.find("weights.safetensors"), std::string::npos) << err;
    // An IS-Net-style folder is not a Kiln network (and auto does not take it for one).
    EXPECT_FALSE(isKilnMattingNet(dir));
    test::expectError([&] { readMattingNetConfig(dir / "nowhere"); }, "nowhere");
}

// The bundled model on what an artist gives it: an object of a category it never saw (the
// library's held-out categories) over a photograph it never saw (Kodak 17-24), against GrabCut.
TEST(Matting, BundledModelCutsOutHeldOutObjectsBetterThanGrabCut) {
    const fs::path model = defaultKilnMattingModel();
    if (model.empty()) GTEST_SKIP() << "no bundled matting model";
    KilnMattingNet net(model, 0);
    std::vector<std::string> names;
    for (int k = 17; k <= 24; ++k) names.push_back("kodim" + std::to_string(k) + ".jpg");
    const auto photos = loadBackgroundPhotos(test::testdata("backgrounds"), names, 320);
    std::vector<double> kiln, grabcut;
    const char* categories[] = {"teapot", "lantern", "birdhouse"};
    std::vector<core::Image> sheet;
    for (int i = 0; i < 9; ++i) {
        const MatteSample s = centredComposite(categories[i % 3], 100 + std::uint64_t(i), photos[std::size_t(i) % photos.size()]);
        const MatteScore k = scoreMatte(net.run(s.rgb), s.truth), g = scoreMatte(grabCutAlpha(s.rgb), s.truth);
        kiln.push_back(k.iou);
        grabcut.push_back(g.iou);
    }
    std::sort(kiln.begin(), kiln.end());
    std::sort(grabcut.begin(), grabcut.end());
    const double kMedian = kiln[kiln.size() / 2], gMedian = grabcut[grabcut.size() / 2];
    std::printf("held-out categories over held-out photos: IoU median kiln %.3f (worst %.3f), grabcut %.3f (worst %.3f)\n", kMedian, kiln.front(), gMedian,
                grabcut.front());
    EXPECT_GT(kMedian, 0.85);
    EXPECT_GT(kMedian, gMedian);
}

TEST(Matting, AutoUsesKilnsNetworkAndFindsNoObjectInAPlainImage) {
    if (defaultKilnMattingModel().empty()) GTEST_SKIP() << "no bundled matting model";
    ImageMatter matter(MatteOptions{});
    const auto photos = loadBackgroundPhotos(test::testdata("backgrounds"), {"kodim21.jpg"}, 320);
    const MatteSample s = centredComposite("birdhouse", 7, photos.front());
    const Matte m = matter.run(s.rgb, "birdhouse.jpg");
    EXPECT_EQ(m.method, "kiln");
    EXPECT_FALSE(m.modelName.empty());
    EXPECT_FALSE(m.modelLicence.empty());
    EXPECT_GT(scoreMatte(m.alpha, s.truth).iou, 0.7);
    core::Image grey = core::Image::makeU8(200, 150, 3);
    std::fill(grey.u8.begin(), grey.u8.end(), std::uint8_t(128));
    test::expectError([&] { matter.run(grey, "grey.png"); }, "grey.png: the matte finds no object");
    MatteOptions explicitKiln;
    explicitKiln.method = "kiln";
    explicitKiln.resolution = 100;
    test::expectError([&] { ImageMatter(explicitKiln).run(s.rgb, "birdhouse.jpg"); }, "multiple of 32");
}

} // namespace
} // namespace kiln::models
