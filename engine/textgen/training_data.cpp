#include "textgen/training_data.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/binary_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

namespace kiln::textgen {

namespace {

std::string joined(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : ", ") + w;
    return s;
}

} // namespace

std::string vocabularyHint(const std::vector<std::string>& categories, const std::vector<std::string>& colours,
                           const std::vector<std::string>& materials) {
    return "categories: " + joined(categories) + "; colours: " + joined(colours) + "; materials: " + joined(materials);
}

TrainingSet loadTrainingSet(const std::filesystem::path& dir, int parts, core::Progress& progress, const core::CancelToken& cancel) {
    const auto jsonPath = dir / "dataset.json";
    if (!std::filesystem::is_regular_file(jsonPath)) throw Error(dir.string() + ": not a Kiln dataset (no dataset.json; build one with `kiln dataset build`)");
    nlohmann::json doc;
    try {
        const auto bytes = io::readFileBytes(jsonPath);
        doc = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw Error(jsonPath.string() + ": not valid JSON (" + e.what() + ")");
    }
    TrainingSet set;
    set.dir = dir;
    try {
        if (doc.at("format").get<std::string>() != "kiln-dataset") throw Error(jsonPath.string() + ": format is not kiln-dataset");
        for (const auto& c : doc.at("categories")) set.categories.push_back(c.get<std::string>());
        for (const auto& c : doc.at("palette")) {
            set.colours.push_back(c.at("name").get<std::string>());
            const auto& rgb = c.at("rgb");
            set.paletteLinear.emplace_back(rgb.at(0).get<float>(), rgb.at(1).get<float>(), rgb.at(2).get<float>());
        }
        for (const auto& m : doc.at("materials")) set.materials.push_back(m.get<std::string>());
        set.categoryStyles.resize(set.categories.size());
        for (const auto& it : doc.at("items")) {
            TrainingItem item;
            item.id = it.at("id").get<std::string>();
            item.category = it.at("categoryIndex").get<int>();
            item.style = it.at("styleIndex").get<int>();
            item.colour = it.at("colourIndex").get<int>();
            item.material = it.at("material").get<std::string>();
            item.validation = it.at("split").get<std::string>() == "val";
            item.texts.push_back(it.at("caption").get<std::string>());
            for (const auto& p : it.at("paraphrases")) item.texts.push_back(p.get<std::string>());
            if (item.category < 0 || std::size_t(item.category) >= set.categories.size() || item.colour < 0 ||
                std::size_t(item.colour) >= set.colours.size() || item.style < 0)
                throw Error(jsonPath.string() + ": item " + item.id + " has an index out of range");
            auto& styles = set.categoryStyles[std::size_t(item.category)];
            if (styles.size() <= std::size_t(item.style)) styles.resize(std::size_t(item.style) + 1);
            styles[std::size_t(item.style)] = it.at("style").get<std::string>();
            item.splats = it.at("splats").get<std::string>();
            set.items.push_back(std::move(item));
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(jsonPath.string() + ": malformed dataset (" + e.what() + ")");
    }
    if (set.items.empty()) throw Error(jsonPath.string() + ": the dataset has no items");
    for (std::size_t c = 0; c < set.categories.size(); ++c)
        for (std::size_t s = 0; s < set.categoryStyles[c].size(); ++s) set.styles.push_back(set.categories[c] + "/" + set.categoryStyles[c][s]);

    // Decode the splat files and fit the shape tokens on two threads.
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex errorMutex;
    std::exception_ptr error;
    std::atomic<bool> failed{false};
    auto work = [&] {
        for (;;) {
            const std::size_t i = next++;
            if (i >= set.items.size() || cancel.cancelled() || failed) return;
            TrainingItem& item = set.items[i];
            try {
                const auto path = dir / item.splats;
                const core::Asset asset = io::loadAsset(path);
                const core::GaussianCloud* cloud = asset.gaussians();
                if (!cloud) throw Error(path.string() + ": not a Gaussian splat file");
                std::vector<glm::vec3> colours(cloud->size());
                const int coeffs = cloud->coeffCount();
                for (std::size_t k = 0; k < cloud->size(); ++k)
                    for (int c = 0; c < 3; ++c)
                        colours[k][c] = std::clamp(0.5f + core::kShC0 * cloud->sh[(k * std::size_t(coeffs)) * 3 + std::size_t(c)], 0.0f, 1.0f);
                if (parts > 0) item.tokens = encodeShape(cloud->positions, colours, parts);
                item.points = subsamplePoints(normalisePoints(cloud->positions), 512);
            } catch (...) {
                std::lock_guard lock(errorMutex);
                if (!error) error = std::current_exception();
                failed = true;
                return;
            }
            ++done;
        }
    };
    {
        std::jthread a(work), b(work);
        while (done < set.items.size() && !failed && !cancel.cancelled()) {
            progress.report("encoding shapes " + std::to_string(done.load()) + "/" + std::to_string(set.items.size()),
                            float(done.load()) / float(set.items.size()));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (error) std::rethrow_exception(error);
    cancel.throwIfCancelled();
    return set;
}

} // namespace kiln::textgen
