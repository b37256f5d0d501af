#include "procgen/v1/dataset.h"

#include "core/asset.h"
#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/image_io.h"
#include "mesh_builder.h"
#include "render/renderer.h"
#include "render/views.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

namespace fs = std::filesystem;

namespace kiln::procgen::v1 {

namespace {

struct ItemRecord {
    AssetParams params;
    bool validation = false;
    std::string caption;
    std::vector<std::string> paraphrases;
};

void checkOptions(const DatasetOptions& o) {
    if (o.outDir.empty()) throw Error("dataset: no output folder given");
    if (o.count < 1 || o.count > 999999) throw Error("dataset: item count " + std::to_string(o.count) + " is outside 1..999999");
    if (o.splats < 1 || o.splats > 1000000) throw Error("dataset: splat count " + std::to_string(o.splats) + " is outside 1..1000000");
    if (o.views < 0 || o.views > 64) throw Error("dataset: view count " + std::to_string(o.views) + " is outside 0..64");
    if (o.viewSize < 16 || o.viewSize > 2048) throw Error("dataset: view size " + std::to_string(o.viewSize) + " is outside 16..2048");
    if (!(o.valFraction >= 0.0 && o.valFraction <= 0.5))
        throw Error("dataset: validation fraction " + std::to_string(o.valFraction) + " is outside 0..0.5");
    if (o.threads < 1 || o.threads > 64) throw Error("dataset: thread count " + std::to_string(o.threads) + " is outside 1..64");
}

// Refuses a non-empty folder without force; with force removes only what a dataset consists of.
void prepareFolder(const DatasetOptions& o) {
    const fs::path& dir = o.outDir;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": exists and is not a folder");
        if (!fs::is_empty(dir, ec)) {
            if (!o.force) throw Error(dir.string() + ": folder is not empty (use --force to replace the dataset in it)");
            // The manifest goes first, so an interrupted rebuild never leaves one naming files that are gone.
            fs::remove(dir / "dataset.json");
            for (const char* sub : {"meshes", "splats", "views"}) fs::remove_all(dir / sub);
        }
    }
    fs::create_directories(dir / "meshes");
    fs::create_directories(dir / "splats");
    if (o.views > 0) fs::create_directories(dir / "views");
}

core::Asset meshAsset(const std::string& id, core::Mesh mesh, const ItemRecord& r) {
    core::Provenance prov;
    prov.source = "generate:procgen";
    prov.prompt = r.caption;
    prov.seed = r.params.shapeSeed;
    prov.model = "procgen";
    return core::Asset::fromMesh(id, std::move(mesh), prov);
}

} // namespace

AssetParams datasetParams(std::uint64_t seed, int index) {
    if (index < 0) throw Error("dataset: item index " + std::to_string(index) + " is negative");
    std::mt19937_64 rng(detail::mix64(detail::mix64(seed) ^ std::uint64_t(index)));
    return randomParams(index % int(categories().size()), rng);
}

std::string datasetItemId(int index) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06d", index);
    return buf;
}

DatasetSummary buildDataset(const DatasetOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    checkOptions(o);
    const auto start = std::chrono::steady_clock::now();
    // A renderer that cannot start (no Vulkan driver) fails the build before anything is written.
    std::unique_ptr<render::Renderer> renderer;
    if (o.views > 0) renderer = std::make_unique<render::Renderer>();
    prepareFolder(o);
    const fs::path& dir = o.outDir;
    const int n = o.count;
    // Generation takes most of the progress bar when there is nothing to render.
    const float genShare = o.views > 0 ? 0.4f : 0.95f;

    // ---- Meshes and splats on worker threads; each item depends on its index only.
    std::vector<ItemRecord> records(static_cast<std::size_t>(n));
    std::atomic<int> next{0}, done{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto worker = [&] {
        try {
            for (int i = next++; i < n && !failed && !cancel.cancelled(); i = next++) {
                ItemRecord& r = records[std::size_t(i)];
                r.params = datasetParams(o.seed, i);
                ProcAsset a = generate(r.params);
                r.validation = isValidationTriple(r.params.category, r.params.style, r.params.colour, o.valFraction);
                r.caption = a.caption;
                r.paraphrases = a.paraphrases;
                const std::string id = datasetItemId(i);
                const core::GaussianCloud cloud = sampleSplats(a.mesh, o.splats, detail::mix64(o.seed ^ (std::uint64_t(i) << 20)));
                io::saveAsset(meshAsset(id, std::move(a.mesh), r), dir / "meshes" / (id + ".glb"), {true});
                io::saveAsset(core::Asset::fromGaussians(id, cloud), dir / "splats" / (id + ".ply"), {true});
                ++done;
            }
        } catch (...) {
            std::lock_guard lock(errorMutex);
            if (!error) error = std::current_exception();
            failed = true;
        }
    };
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < std::min(o.threads, n); ++t) pool.emplace_back(worker);
        // Progress is reported from this thread only.
        while (done < n && !failed && !cancel.cancelled()) {
            progress.report("generating meshes and splats", genShare * float(done) / float(n));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    if (error) std::rethrow_exception(error);
    cancel.throwIfCancelled();

    // ---- Views: one renderer on this thread; meshes are regenerated (cheap, deterministic)
    // rather than kept in memory for the whole dataset.
    const int columns = o.views > 0 ? int(std::ceil(std::sqrt(double(o.views)))) : 0;
    const float pitch = 0.35f, yawOffset = 0.6f;  // radians: a little above, three-quarter first view
    if (o.views > 0) {
        render::ViewOptions view;
        view.grid = false;
        view.axisGizmo = false;
        view.background = glm::vec4(0.5f, 0.5f, 0.5f, 1.0f);
        for (int i = 0; i < n; ++i) {
            cancel.throwIfCancelled();
            progress.report("rendering views", genShare + (0.98f - genShare) * float(i) / float(n));
            const ItemRecord& r = records[std::size_t(i)];
            ProcAsset a = generate(r.params);
            const core::Bounds bounds = core::computeBounds(a.mesh);
            const std::string id = datasetItemId(i);
            const auto object = renderer->add(meshAsset(id, std::move(a.mesh), r));
            std::vector<core::Image> tiles;
            for (const core::Camera& cam : render::orbitViews(bounds, o.views, pitch, 1.0f, yawOffset))
                tiles.push_back(renderer->renderImage(cam, o.viewSize, o.viewSize, view));
            renderer->remove(object);
            const core::Image grid = render::composeGrid(tiles, columns);
            io::writeAtomically(dir / "views" / (id + ".png"), true, [&](const fs::path& temp) { io::writeImage(grid, temp); });
        }
    }

    // ---- Manifest last.
    progress.report("writing dataset.json", 0.99f);
    nlohmann::json j;
    j["format"] = "kiln-dataset";
    j["version"] = 1;
    j["seed"] = o.seed;
    j["valFraction"] = o.valFraction;
    j["splatsPerItem"] = o.splats;
    j["categories"] = nlohmann::json::array();
    for (const CategoryInfo& c : categories()) j["categories"].push_back(c.name);
    j["styles"] = nlohmann::json::object();
    for (const CategoryInfo& c : categories()) {
        auto& s = j["styles"][c.name] = nlohmann::json::array();
        for (const StyleInfo& st : c.styles) s.push_back({{"name", st.name}, {"phrase", st.phrase}});
    }
    j["palette"] = nlohmann::json::array();
    for (const PaletteColour& c : palette()) j["palette"].push_back({{"name", c.name}, {"rgb", {c.rgb[0], c.rgb[1], c.rgb[2]}}, {"srgb8", {c.srgb[0], c.srgb[1], c.srgb[2]}}});
    j["materials"] = nlohmann::json::array();
    for (const MaterialInfo& m : materials()) j["materials"].push_back(m.name);
    if (o.views > 0)
        j["views"] = {{"count", o.views}, {"columns", columns}, {"size", o.viewSize}, {"pitch", pitch}, {"yawOffset", yawOffset},
                      {"layout", "grid left to right, top to bottom; view k at yaw yawOffset + 2 pi k / count"}};
    DatasetSummary summary;
    std::set<std::tuple<int, int, int>> valTriples;
    auto& items = j["items"] = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
        const ItemRecord& r = records[std::size_t(i)];
        const std::string id = datasetItemId(i);
        const CategoryInfo& cat = categories()[std::size_t(r.params.category)];
        nlohmann::json item = {
            {"id", id},
            {"category", cat.name},
            {"categoryIndex", r.params.category},
            {"style", cat.styles[std::size_t(r.params.style)].name},
            {"styleIndex", r.params.style},
            {"colour", palette()[std::size_t(r.params.colour)].name},
            {"colourIndex", r.params.colour},
            {"material", materials()[std::size_t(r.params.material)].name},
            {"materialIndex", int(r.params.material)},
            {"shapeSeed", r.params.shapeSeed},
            {"split", r.validation ? "val" : "train"},
            {"caption", r.caption},
            {"paraphrases", r.paraphrases},
            {"mesh", "meshes/" + id + ".glb"},
            {"splats", "splats/" + id + ".ply"},
        };
        if (o.views > 0) item["views"] = "views/" + id + ".png";
        items.push_back(std::move(item));
        if (r.validation) {
            ++summary.val;
            valTriples.insert({r.params.category, r.params.style, r.params.colour});
        } else {
            ++summary.train;
        }
    }
    const std::string text = j.dump(1);
    summary.manifest = dir / "dataset.json";
    io::writeAtomically(summary.manifest, true, [&](const fs::path& temp) {
        std::ofstream out(temp, std::ios::binary);
        out << text << '\n';
        if (!out) throw Error(summary.manifest.string() + ": cannot write");
    });
    progress.report("done", 1.0f);
    summary.items = n;
    summary.valTriples = int(valTriples.size());
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary;
}

} // namespace kiln::procgen::v1
