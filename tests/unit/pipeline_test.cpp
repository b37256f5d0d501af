// The pipeline registry and options schemas: declared once, parsed and checked the same way
// for the CLI and the studio.
#include "core/error.h"
#include "pipelines/pipeline.h"
#include "pipelines/pipeline_json.h"

#include "test_util.h"

#include <gtest/gtest.h>

using namespace kiln;
using namespace kiln::pipelines;

namespace {

class EchoPipeline final : public Pipeline {
public:
    explicit EchoPipeline(std::string id) {
        m_info.id = std::move(id);
        m_info.displayName = "Echo";
        m_info.description = "test";
        m_info.inputs = {{InputKind::Prompt, "Prompt", "words", 1, 1}};
        m_info.schema.options = {seedOption(), intOption("steps", "Steps", 10, 1, 100, "n"), floatOption("scale", "Scale", 0.5, 0.0, 1.0, "x"),
                                 boolOption("fast", "Fast", false, "b"),
                                 choiceOption("kind", "Kind", {"a", "b"}, "a", "c", {}), textOption("note", "Note", "", "t")};
        m_info.schema.options[4].choiceOutputs = {{int(OutputKind::Mesh), int(OutputKind::Splats)}, {int(OutputKind::Splats)}};
        m_info.schema.presets = {{"draft", "Draft", {{"steps", "2"}, {"fast", "true"}}}, {"high", "High", {{"steps", "90"}}}};
        m_info.schema.defaultPreset = "high";
        m_info.outputs = {OutputKind::Mesh, OutputKind::Splats};
        m_info.needsTorch = false;
    }
    const PipelineInfo& info() const override { return m_info; }
    PipelineResult run(const PipelineRequest& r, core::Progress&, const core::CancelToken&) const override {
        validate(r);
        PipelineResult out;
        out.report.push_back(r.inputs.prompt);
        return out;
    }
    PipelineInfo m_info;
};

using kiln::test::expectError;

} // namespace

TEST(OptionsSchema, DefaultsPresetsAndParsing) {
    EchoPipeline p("echo-a");
    const auto& schema = p.info().schema;
    OptionValues v = schema.defaults();
    EXPECT_EQ(v.getInt("steps"), 90);  // the default preset
    EXPECT_FALSE(v.getBool("fast"));
    EXPECT_DOUBLE_EQ(v.getFloat("scale"), 0.5);
    schema.set(v, "steps", "7");
    schema.applyPreset(v, "Draft");  // explicit values win over a preset
    EXPECT_EQ(v.getInt("steps"), 7);
    EXPECT_TRUE(v.getBool("fast"));
    schema.set(v, "fast", "");  // a bare flag
    EXPECT_TRUE(v.getBool("fast"));
    schema.set(v, "fast", "off");
    EXPECT_FALSE(v.getBool("fast"));
    schema.set(v, "kind", "b");
    EXPECT_EQ(v.text("kind"), "b");
    expectError([&] { schema.set(v, "steps", "0"); }, "--steps must be a whole number from 1 to 100, not '0'");
    expectError([&] { schema.set(v, "steps", "3.5"); }, "--steps must be a whole number");
    expectError([&] { schema.set(v, "scale", "nan"); }, "--scale must be a number from 0 to 1");
    expectError([&] { schema.set(v, "kind", "c"); }, "--kind must be a or b, not 'c'");
    expectError([&] { schema.set(v, "fast", "maybe"); }, "--fast");
    expectError([&] { schema.set(v, "nope", "1"); }, "unknown option --nope");
    expectError([&] { schema.applyPreset(v, "ultra"); }, "--quality must be draft or high");
}

TEST(PipelineRegistry, RejectsMalformedDeclarationsAndDuplicates) {
    auto& reg = PipelineRegistry::instance();
    reg.add(std::make_shared<EchoPipeline>("echo-b"));
    expectError([&] { reg.add(std::make_shared<EchoPipeline>("echo-b")); }, "registered twice");
    expectError([&] { reg.add(std::make_shared<EchoPipeline>("Bad Id")); }, "lower-case");
    auto badDefault = std::make_shared<EchoPipeline>("echo-c");
    badDefault->m_info.schema.options[1].defaultNumber = 1000;
    expectError([&] { reg.add(badDefault); }, "default outside its range");
    auto badPreset = std::make_shared<EchoPipeline>("echo-d");
    badPreset->m_info.schema.presets[0].values["steps"] = "500";
    expectError([&] { reg.add(badPreset); }, "--steps");
    EXPECT_TRUE(reg.find("echo-b"));
    EXPECT_FALSE(reg.find("echo-c"));
    EXPECT_TRUE(reg.remove("echo-b"));
    EXPECT_FALSE(reg.find("echo-b"));
}

TEST(PipelineRegistry, BuiltinsAreRegisteredOnceWithTheirSchemas) {
    registerBuiltinPipelines();
    registerBuiltinPipelines();
    auto text = PipelineRegistry::instance().find("text-to-3d");
    auto views = PipelineRegistry::instance().find("views-to-3d");
    ASSERT_TRUE(text && views);
    EXPECT_EQ(text->info().displayName, "Text");
    EXPECT_EQ(text->defaultRequest().options.getInt("steps"), 16);
    const auto j = toJson(*views);
    EXPECT_EQ(j["id"], "views-to-3d");
    EXPECT_EQ(j["defaultPreset"], "standard");
    bool sawIterations = false;
    for (const auto& o : j["options"])
        if (o["name"] == "iterations") {
            sawIterations = true;
            EXPECT_EQ(o["default"], 3000);
            EXPECT_EQ(o["min"], 1);
        }
    EXPECT_TRUE(sawIterations);
}

TEST(Pipeline, ValidateChecksInputsAndOutputsTheOptionsAllow) {
    EchoPipeline p("echo-e");
    PipelineRequest r = p.defaultRequest();
    expectError([&] { p.validate(r); }, "empty prompt");
    r.inputs.prompt = "hello";
    EXPECT_NO_THROW(p.validate(r));
    p.info().schema.set(r.options, "kind", "b");  // "b" makes splats only
    expectError([&] { p.validate(r); }, "makes no mesh output with --kind b");
    r.outputs = {OutputKind::Splats};
    EXPECT_NO_THROW(p.validate(r));
    r.outputs = {OutputKind::Field};
    expectError([&] { p.validate(r); }, "does not make field");
    EXPECT_EQ(p.possibleOutputs(r.options), std::set<OutputKind>{OutputKind::Splats});
}
