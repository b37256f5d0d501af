#include "textgen/model_file.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"

#include <nlohmann/json.hpp>

namespace kiln::textgen {

ModelFile readModelFile(const std::filesystem::path& dir) {
    const auto path = dir / "config.json";
    if (!std::filesystem::is_directory(dir)) throw Error(dir.string() + ": no such model folder");
    if (!std::filesystem::is_regular_file(path)) throw Error(dir.string() + ": not a Kiln text-to-3D model (no config.json)");
    ModelFile m;
    try {
        const auto bytes = io::readFileBytes(path);
        const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (doc.at("format").get<std::string>() != "kiln-text-to-3d") throw Error(path.string() + ": format is not kiln-text-to-3d");
        if (doc.at("version").get<int>() != 1) throw Error(path.string() + ": unsupported version " + doc.at("version").dump());
        const auto& a = doc.at("model");
        m.config.width = a.at("width").get<int>();
        m.config.heads = a.at("heads").get<int>();
        m.config.textLayers = a.at("textLayers").get<int>();
        m.config.layers = a.at("layers").get<int>();
        m.config.mlpRatio = a.at("mlpRatio").get<int>();
        m.config.maxWords = a.at("maxWords").get<int>();
        m.config.parts = a.at("parts").get<int>();
        m.tokenizer = Tokenizer(doc.at("vocabulary").get<std::vector<std::string>>());
        m.config.vocabSize = std::int64_t(m.tokenizer.size());
        const auto mean = doc.at("tokenMean").get<std::vector<float>>();
        const auto stdev = doc.at("tokenStd").get<std::vector<float>>();
        if (mean.size() != kTokenDim || stdev.size() != kTokenDim) throw Error(path.string() + ": token statistics have the wrong length");
        for (int i = 0; i < kTokenDim; ++i) {
            m.tokenMean[i] = mean[std::size_t(i)];
            m.tokenStd[i] = stdev[std::size_t(i)];
            if (!(m.tokenStd[i] > 0.0f)) throw Error(path.string() + ": token statistics are not positive");
        }
        m.sizeMean = doc.at("sizeMean").get<float>();
        m.sizeStd = doc.at("sizeStd").get<float>();
        if (!(m.sizeStd > 0.0f)) throw Error(path.string() + ": size statistics are not positive");
        m.categories = doc.at("categories").get<std::vector<std::string>>();
        m.colours = doc.at("colours").get<std::vector<std::string>>();
        m.materials = doc.at("materials").get<std::vector<std::string>>();
        const auto& s = doc.at("sampler");
        m.samplerSteps = s.at("steps").get<int>();
        m.guidance = s.at("guidance").get<float>();
        m.childrenPerPart = s.at("childrenPerPart").get<int>();
        if (doc.contains("training")) m.trainingJson = doc.at("training").dump();
    } catch (const nlohmann::json::exception& e) {
        throw Error(path.string() + ": malformed model config (" + e.what() + ")");
    }
    m.config.validate(path.string());
    if (!std::filesystem::is_regular_file(m.weightsPath(dir))) throw Error(dir.string() + ": the model has no weights.safetensors");
    return m;
}

void writeModelConfig(const ModelFile& m, const std::filesystem::path& dir) {
    nlohmann::ordered_json doc;
    doc["format"] = "kiln-text-to-3d";
    doc["version"] = 1;
    doc["model"] = {{"width", m.config.width}, {"heads", m.config.heads}, {"textLayers", m.config.textLayers}, {"layers", m.config.layers},
                    {"mlpRatio", m.config.mlpRatio}, {"maxWords", m.config.maxWords}, {"parts", m.config.parts}};
    doc["sampler"] = {{"steps", m.samplerSteps}, {"guidance", m.guidance}, {"childrenPerPart", m.childrenPerPart}};
    doc["categories"] = m.categories;
    doc["colours"] = m.colours;
    doc["materials"] = m.materials;
    doc["tokenMean"] = std::vector<float>(m.tokenMean, m.tokenMean + kTokenDim);
    doc["tokenStd"] = std::vector<float>(m.tokenStd, m.tokenStd + kTokenDim);
    doc["sizeMean"] = m.sizeMean;
    doc["sizeStd"] = m.sizeStd;
    doc["training"] = nlohmann::ordered_json::parse(m.trainingJson);
    doc["vocabulary"] = m.tokenizer.words();
    const std::string text = doc.dump(1) + "\n";
    const std::vector<std::uint8_t> bytes(text.begin(), text.end());
    io::writeAtomically(dir / "config.json", true, [&](const std::filesystem::path& tmp) { io::writeFileBytes(tmp, bytes); });
}

} // namespace kiln::textgen
