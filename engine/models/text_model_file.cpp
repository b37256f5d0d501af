#include "models/text_model_file.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace kiln::models {

TextModelFile readTextModelFile(const std::filesystem::path& dir, const std::string& file) {
    const auto path = dir / file;
    if (!std::filesystem::is_directory(dir)) throw Error(dir.string() + ": no such model folder");
    if (!std::filesystem::is_regular_file(path)) throw Error(path.string() + ": missing (not a Kiln text-to-3d model)");
    TextModelFile m;
    try {
        const auto bytes = io::readFileBytes(path);
        const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (doc.at("format").get<std::string>() != "kiln-text-to-latent")
            throw Error(path.string() + ": format is not kiln-text-to-latent (an older text-to-3d model? retrain it with kiln train text-to-3d)");
        if (doc.at("version").get<int>() != 1) throw Error(path.string() + ": unsupported version " + doc.at("version").dump());
        const auto& a = doc.at("model");
        m.config.width = a.at("width");
        m.config.heads = a.at("heads");
        m.config.textLayers = a.at("textLayers");
        m.config.layers = a.at("layers");
        m.config.mlpRatio = a.at("mlpRatio");
        m.config.maxWords = a.at("maxWords");
        m.config.tokens = a.at("tokens");
        m.config.tokenDim = a.at("tokenDim");
        const std::string order = a.value("tokenOrder", std::string("set"));
        if (order != "set" && order != "morton") throw Error(path.string() + ": unknown token order \"" + order + "\"");
        m.config.ordered = order == "morton";
        m.tokenizer = Tokenizer(doc.at("vocabulary").get<std::vector<std::string>>());
        m.config.vocabSize = std::int64_t(m.tokenizer.size());
        const auto& l = doc.at("latent");
        m.stats.mean = l.at("mean").get<std::vector<float>>();
        m.stats.stdev = l.at("std").get<std::vector<float>>();
        m.stats.anchorStd = l.at("anchorStd");
        m.stats.logSizeMean = l.at("logSizeMean");
        m.stats.logSizeStd = l.at("logSizeStd");
        const auto& ae = doc.at("autoencoder");
        m.autoencoderName = ae.at("name");
        m.autoencoderVersion = ae.at("version");
        m.autoencoderWeightsSha256 = ae.at("weightsSha256");
        m.autoencoderEncoderSha256 = ae.value("encoderSha256", std::string());
        const auto& s = doc.at("sampler");
        m.samplerSteps = s.at("steps");
        m.guidance = s.at("guidance");
        m.surfaceBias = s.value("surfaceBias", 0.0f);
        if (!std::isfinite(m.surfaceBias) || std::abs(m.surfaceBias) > 8.0f) throw Error(path.string() + ": sampler surfaceBias is outside -8..8");
        m.temperature = s.value("temperature", 1.0f);
        m.shapeGiven = s.value("shapeGiven", false);
        if (!(m.temperature > 0.0f && m.temperature <= 1.5f)) throw Error(path.string() + ": sampler temperature is outside (0, 1.5]");
        const auto& k = doc.at("knows");
        m.categories = k.at("categories").get<std::vector<std::string>>();
        m.colours = k.at("colours").get<std::vector<std::string>>();
        m.materials = k.at("materials").get<std::vector<std::string>>();
        if (doc.contains("training")) m.trainingJson = doc.at("training").dump();
    } catch (const nlohmann::json::exception& e) {
        throw Error(path.string() + ": malformed model config (" + e.what() + ")");
    }
    m.config.validate(path.string());
    if (m.stats.mean.size() + 3 != std::size_t(m.config.tokenDim) || m.stats.stdev.size() != m.stats.mean.size())
        throw Error(path.string() + ": latent statistics do not match the token size");
    return m;
}

void writeTextModelConfig(const TextModelFile& m, const std::filesystem::path& dir, const std::string& file) {
    nlohmann::ordered_json doc;
    doc["format"] = "kiln-text-to-latent";
    doc["version"] = 1;
    doc["model"] = {{"width", m.config.width},   {"heads", m.config.heads},         {"textLayers", m.config.textLayers},
                    {"layers", m.config.layers}, {"mlpRatio", m.config.mlpRatio},   {"maxWords", m.config.maxWords},
                    {"tokens", m.config.tokens}, {"tokenDim", m.config.tokenDim},
                    {"tokenOrder", m.config.ordered ? "morton" : "set"}};
    doc["latent"] = {{"mean", m.stats.mean}, {"std", m.stats.stdev}, {"anchorStd", m.stats.anchorStd}, {"logSizeMean", m.stats.logSizeMean},
                     {"logSizeStd", m.stats.logSizeStd}};
    doc["autoencoder"] = {{"name", m.autoencoderName}, {"version", m.autoencoderVersion}, {"weightsSha256", m.autoencoderWeightsSha256}};
    if (!m.autoencoderEncoderSha256.empty()) doc["autoencoder"]["encoderSha256"] = m.autoencoderEncoderSha256;
    doc["sampler"] = {{"steps", m.samplerSteps}, {"guidance", m.guidance}, {"surfaceBias", m.surfaceBias}, {"temperature", m.temperature}};
    if (m.shapeGiven) doc["sampler"]["shapeGiven"] = true;
    doc["knows"] = {{"categories", m.categories}, {"colours", m.colours}, {"materials", m.materials}};
    doc["training"] = nlohmann::ordered_json::parse(m.trainingJson);
    doc["vocabulary"] = m.tokenizer.words();
    const std::string text = doc.dump(1) + "\n";
    io::writeAtomically(dir / file, true, [&](const std::filesystem::path& tmp) {
        io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    });
}

} // namespace kiln::models
