#include "models/image_to_3d.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/uv_raster.h"
#include "models/flow_sampler.h"
#include "models/image_to_latent.h"
#include "models/manifest.h"
#include "models/torch_weights.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <algorithm>
#include <cmath>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

constexpr int kSilhouetteGrid = 24;     // shape refinement's rays: this many squared over the photo's object
constexpr int kSilhouetteSamples = 12;  // points along each

} // namespace

PhotoRefinement projectPhotoOntoTexture(core::Mesh& mesh, const core::Image& photo, const core::Image& matte, float fovDegrees,
                                        const core::CancelToken& cancel) {
    return projectPhotoOntoTexture(mesh, photo, matte, estimatePhotoView(mesh, matte, fovDegrees, cancel), cancel);
}

PhotoRefinement projectPhotoOntoTexture(core::Mesh& mesh, const core::Image& photo, const core::Image& matte, const PhotoView& view,
                                        const core::CancelToken& cancel) {
    PhotoRefinement out;
    out.view = view;
    const PhotoProjector projector(mesh, photo, matte, out.view);
    std::size_t taken = 0, covered = 0;
    for (const core::Submesh& sm : mesh.submeshes) {
        if (sm.material < 0) continue;
        const int index = mesh.materials[std::size_t(sm.material)].baseColorTexture;
        if (index < 0) continue;
        core::Texture& tex = mesh.textures[std::size_t(index)];
        core::Image& img = tex.image;
        if (img.type != core::PixelType::U8 || img.width != img.height || img.channels < 3) continue;
        // The material's own triangles, their texels blended towards the photo where its camera
        // sees them, by how squarely (PhotoProjector's weight: no visible border).
        core::Mesh layout = mesh;
        layout.indices.assign(mesh.indices.begin() + sm.firstIndex, mesh.indices.begin() + sm.firstIndex + sm.indexCount);
        layout.submeshes = {core::Submesh{sm.name, 0, sm.indexCount, 0, std::uint32_t(mesh.positions.size()), sm.material}};
        const geometry::UvRaster raster = geometry::rasterizeUv(layout, img.width);
        cancel.throwIfCancelled();
        for (std::size_t k = 0; k < raster.triangle.size(); ++k) {
            if (!raster.covered(k)) continue;
            ++covered;
            glm::vec3 seen;
            const float w = projector.sample(raster.position(layout, k), raster.normal(layout, k), &seen);
            if (w <= 0.0f) continue;
            taken += w >= 0.5f;
            std::uint8_t* px = &img.u8[k * std::size_t(img.channels)];
            for (int c = 0; c < 3; ++c) {
                const float now = core::linearFromSrgb(float(px[c]) / 255.0f);
                px[c] = std::uint8_t(std::lround(std::clamp(core::srgbFromLinear(now + w * (seen[c] - now)), 0.0f, 1.0f) * 255.0f));
            }
        }
        tex.encoded.clear();
        tex.mimeType.clear();
    }
    out.texels = covered ? double(taken) / double(covered) : 0.0;
    return out;
}

struct ImageTo3dGenerator::Impl {
    fs::path dir;
    ModelManifest manifest;
    ImageModelFile file;
    ImageToLatent net{nullptr};
    std::unique_ptr<ShapeLatentModel> ae;
};

ImageTo3dGenerator::ImageTo3dGenerator(const fs::path& imageModel, const fs::path& autoencoder) : m_impl(std::make_unique<Impl>()) {
    m_impl->dir = imageModel;
    m_impl->manifest = verifyModelFolder(imageModel, "image-to-3d");
    m_impl->file = readImageModelFile(imageModel);
    m_impl->ae = std::make_unique<ShapeLatentModel>(autoencoder);
    const TextModelFile& flow = m_impl->file.flow;
    if (flow.autoencoderEncoderSha256 != m_impl->ae->encoderSha256() && sha256File(autoencoder / "weights.safetensors") != flow.autoencoderWeightsSha256)
        throw Error(imageModel.string() + ": trained with the shape autoencoder '" + flow.autoencoderName + " v" + flow.autoencoderVersion + "', but " +
                    autoencoder.string() + " holds '" + m_impl->ae->name() + "' (a different latent): use the autoencoder it was trained with");
    if (flow.config.tokens != m_impl->ae->tokens() || flow.config.tokenDim != 3 + m_impl->ae->channels())
        throw Error(imageModel.string() + ": its token size does not match the autoencoder's");
    m_impl->net = ImageToLatent(flow.config, m_impl->file.image);
    loadModuleWeights(*m_impl->net, imageModel / "weights.safetensors");
    m_impl->net->eval();
}

ImageTo3dGenerator::~ImageTo3dGenerator() = default;

const ShapeLatentModel& ImageTo3dGenerator::autoencoder() const { return *m_impl->ae; }
int ImageTo3dGenerator::imageSize() const { return m_impl->file.image.imageSize; }
int ImageTo3dGenerator::maxViews() const { return m_impl->file.image.maxViews; }
int ImageTo3dGenerator::defaultSteps() const { return m_impl->file.flow.samplerSteps; }
std::string ImageTo3dGenerator::name() const { return m_impl->manifest.name + " v" + m_impl->manifest.version; }

ShapeLatent ImageTo3dGenerator::sampleLatent(const std::vector<core::Image>& framed, std::uint64_t seed, int steps, float guidance, float temperature,
                                             const core::CancelToken& cancel, const SampleStepFn& onStep) const {
    if (framed.empty() || int(framed.size()) > maxViews())
        throw Error("image-to-3d: " + std::to_string(framed.size()) + " photos; give 1 to " + std::to_string(maxViews()));
    if (steps < 1 || steps > 1000) throw Error("--steps " + std::to_string(steps) + " is out of range (1..1000)");
    if (!(guidance >= 0.0f && guidance <= 20.0f)) throw Error("--guidance is out of range (0..20)");
    const TextModelFile& mf = m_impl->file.flow;
    if (std::isnan(temperature)) temperature = mf.temperature;
    if (!(temperature > 0.0f && temperature <= 1.5f)) throw Error("--temperature is out of range (0..1.5, above 0)");
    torch::NoGradGuard noGrad;
    std::vector<const core::Image*> views;
    for (const auto& f : framed) views.push_back(&f);
    ImageToLatent& net = m_impl->net;
    const auto images = viewsTensor(views, imageSize()).unsqueeze(0);
    auto cond = net->encodeViews(images, torch::ones({1, images.size(1)}, torch::kBool));
    // Guidance 1 is the conditional velocity alone; otherwise [cond; uncond] in one batch, the
    // empty prompt's single token padded to the views' length.
    const bool guided = guidance != 1.0f;
    if (guided) {
        cond.tokens = cond.tokens.repeat({2, 1, 1});
        cond.keep = cond.keep.repeat({2, 1});
        cond.pooled = cond.pooled.repeat({2, 1});
        cond = net->withEmptyWhere(cond, torch::tensor({false, true}));
    }
    const int rows = mf.config.tokens + 1, dim = mf.config.tokenDim;
    const std::int64_t batch = guided ? 2 : 1;
    auto gen = at::detail::createCPUGenerator(seed);
    const torch::Tensor x1 = torch::randn({1, rows, dim}, gen, torch::kFloat) * temperature;
    const int previewEvery = std::max(1, steps / 6);
    const torch::Tensor x0 = sampleFlowEuler(
        x1, {.steps = steps, .tStart = 1.0f},
        [&](const torch::Tensor& x, float t) { return guidedVelocity(net->forward(x.expand({batch, rows, dim}), torch::full({batch}, t), cond), guidance); },
        cancel,
        [&](int step, float t, const torch::Tensor& x, const torch::Tensor& v) {
            if (!onStep) return;
            if ((step + 1) % previewEvery == 0) {
                const ShapeLatent estimate = latentFromUnitTokens((x - t * v).contiguous().data_ptr<float>(), mf);
                onStep(step, &estimate);
            } else {
                onStep(step, nullptr);
            }
        });
    return latentFromUnitTokens(x0.contiguous().data_ptr<float>(), mf);
}

ImageTo3dResult ImageTo3dGenerator::generate(const std::vector<PhotoInput>& photos, const ImageTo3dOptions& o, core::Progress& progress,
                                             const core::CancelToken& cancel) const {
    const auto t0 = std::chrono::steady_clock::now();
    if (photos.empty()) throw Error("image-to-3d: no photo given");
    if (int(photos.size()) > maxViews())
        throw Error("image-to-3d: " + std::to_string(photos.size()) + " photos; the model reads 1 to " + std::to_string(maxViews()) + " of one object");
    if (o.candidates < 1 || o.candidates > 16) throw Error("--candidates " + std::to_string(o.candidates) + " is out of range (1..16)");
    if (!std::isnan(o.surfaceBias) && !(std::abs(o.surfaceBias) <= 8.0f)) throw Error("--surface-bias is out of range (-8..8)");
    if (!(o.fovDegrees >= 5.0f && o.fovDegrees <= 120.0f)) throw Error("--fov is out of range (5..120 degrees)");
    if (o.shapeSteps < 0 || o.shapeSteps > 200) throw Error("--shape-steps " + std::to_string(o.shapeSteps) + " is out of range (0..200)");
    const int steps = o.steps > 0 ? o.steps : defaultSteps();
    ImageTo3dResult r;
    auto t = std::chrono::steady_clock::now();
    std::vector<core::Image> framed;
    for (const PhotoInput& p : photos) {
        r.framed.push_back(frameObject(p.image, p.matte, imageSize(), p.name));
        framed.push_back(r.framed.back().image);
    }
    r.stageSeconds.emplace_back("framing", secondsSince(t));

    DecodeOptions d = o.decode;
    d.splats = true;
    d.surfaceBias = std::isnan(o.surfaceBias) ? m_impl->file.flow.surfaceBias : o.surfaceBias;
    if (!o.mesh) {
        d.resolution = std::min(d.resolution, 64);
        d.textureSize = 256;
        d.appearanceSize = 128;
    }
    const int previewEvery = std::max(1, steps / 6);
    // With the shape refined against the photo, the candidates are decoded coarsely (enough to
    // tell pieces and find the photo's camera) and only the refined latent in full.
    const bool refineShape = o.refine && o.mesh && o.shapeSteps > 0;
    DecodeOptions first = d;
    if (refineShape) {
        first.resolution = std::min(d.resolution, 64);
        first.maxFaces = std::min<std::size_t>(d.maxFaces, 8000);
        first.textureSize = first.appearanceSize = 64;
        first.splats = false;
    }
    SampledAsset sampled = sampleAndDecode(
        *m_impl->ae, first, o.candidates, o.seed,
        [&](std::uint64_t seed, bool first) {
            return sampleLatent(framed, seed, steps, o.guidance, o.temperature, cancel, [&](int step, const ShapeLatent* estimate) {
                if (!first) return;
                progress.report("denoising step " + std::to_string(step + 1) + "/" + std::to_string(steps), 0.6f * float(step + 1) / float(steps));
                if (estimate && (step + 1) % previewEvery == 0 && step + 1 < steps) {
                    core::Provenance prov;
                    prov.source = "generate:image (preview)";
                    progress.preview(core::Asset::fromGaussians("preview", m_impl->ae->previewSplats(*estimate), prov));
                }
            });
        },
        progress, cancel);
    for (const auto& s : sampled.stageSeconds) r.stageSeconds.push_back(s);
    DecodedAsset& decoded = sampled.decoded;
    r.choice = sampled.choice;
    r.latent = std::move(sampled.latent);
    r.watertight = decoded.watertight;

    if (o.refine && o.mesh) {
        t = std::chrono::steady_clock::now();
        progress.report("refining against the photo", 0.85f);
        const PhotoInput& photo = photos.front();
        PhotoView view = estimatePhotoView(decoded.mesh, photo.matte, o.fovDegrees, cancel);
        if (refineShape) {
            // The shape first: the latent pulled towards the photo's silhouette from its camera
            // (in the latent's normalised frame), then decoded in full.
            std::vector<ShapeLatentModel::SilhouetteRay> rays;
            for (const PhotoRay& pr : photoRays(decoded.mesh, photo.matte, view, kSilhouetteGrid))
                rays.push_back({r.latent.frame.toNormalised(pr.origin), pr.direction, pr.inside});
            ShapeLatentModel::SilhouetteOptions so;
            so.steps = o.shapeSteps;
            so.seed = o.seed;
            so.samples = kSilhouetteSamples;
            ShapeLatentModel::SilhouetteReport report;
            ShapeLatent refined = m_impl->ae->refineToSilhouette(r.latent, rays, so, &report, cancel);
            r.silhouetteBefore = report.iouBefore;
            r.silhouetteAfter = report.iouAfter;
            r.stageSeconds.emplace_back("shape refinement", secondsSince(t));
            progress.report("decoding the refined shape", 0.9f);
            t = std::chrono::steady_clock::now();
            DecodedAsset full = m_impl->ae->decode(refined, d, cancel);
            // A refinement that breaks the shape apart is not kept: the sample is decoded as it came.
            if (!full.mesh.empty() && full.components <= std::max<std::size_t>(1, decoded.components)) {
                r.latent = std::move(refined);
            } else {
                full = m_impl->ae->decode(r.latent, d, cancel);
                r.silhouetteAfter = r.silhouetteBefore;
            }
            decoded = std::move(full);
            r.watertight = decoded.watertight;
            r.stageSeconds.emplace_back("decoding", secondsSince(t));
            t = std::chrono::steady_clock::now();
        }
        const PhotoRefinement pr = projectPhotoOntoTexture(decoded.mesh, photo.image, photo.matte, view, cancel);
        r.view = pr.view;
        r.photoTexels = pr.texels;
        r.stageSeconds.emplace_back("texture refinement", secondsSince(t));
    }
    groundAndCentre(decoded, &r.latent);

    core::Provenance prov;
    prov.source = "generate:image";
    std::string hashes, names;
    nlohmann::json mattes = nlohmann::json::array();
    for (const PhotoInput& p : photos) {
        hashes += (hashes.empty() ? "" : ",") + (p.sha256.empty() ? std::string("-") : p.sha256);
        names += (names.empty() ? "" : ", ") + p.name;
        mattes.push_back(p.matteSource.empty() ? "given" : p.matteSource);
    }
    prov.prompt = names;
    prov.seed = o.seed;
    prov.model = name() + " + " + m_impl->ae->name();
    prov.modelLicence = name() + ": " + m_impl->manifest.licence + "; " + m_impl->ae->name() + ": " + m_impl->ae->licence();
    nlohmann::json options{{"photos", names}, {"imageSha256", hashes}, {"steps", steps}, {"guidance", o.guidance}, {"candidates", o.candidates},
                           {"candidate", r.choice.chosen + 1}, {"refine", o.refine}, {"shapeSteps", o.refine ? o.shapeSteps : 0}, {"resolution", o.decode.resolution}, {"faces", o.decode.maxFaces},
                           {"textureSize", o.decode.textureSize}, {"mattes", mattes}};
    if (r.view) options["photoView"] = {{"yaw", r.view->yawDegrees}, {"pitch", r.view->pitchDegrees}, {"fov", r.view->fovDegrees}};
    prov.options = options.dump();
    prov.createdAt = core::utcNowIso8601();
    std::string base = fs::path(photos.front().name).stem().string();
    if (base.empty()) base = "image";
    if (o.mesh) r.assets.push_back(core::Asset::fromMesh(base, std::move(decoded.mesh), prov));
    core::Provenance splatProv = prov;
    splatProv.source = "generate:image:splats";
    r.assets.push_back(core::Asset::fromGaussians(base + (o.mesh ? "_splats" : ""), std::move(decoded.splats), splatProv));
    progress.report("done", 1.0f);
    r.seconds = secondsSince(t0);
    return r;
}

} // namespace kiln::models
