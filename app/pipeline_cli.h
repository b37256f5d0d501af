#pragma once

// Turning a command line into a pipeline request, from the pipeline's declaration alone.

#include "pipelines/pipeline.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::app {

struct PipelineCommandLine {
    pipelines::PipelineRequest request;   // inputs (the asset is loaded later), options, outputs
    std::filesystem::path output;         // -o
    std::filesystem::path meshOutput;     // the extra mesh file (--mesh / --mesh-output), or empty
    std::filesystem::path assetPath;      // an Asset input, still to be loaded
    std::string format;
    int threads = 0;                      // 0: not given
    bool force = false;
    bool mesh = false;
};

// Throws kiln::Error naming the option or argument that is wrong.
PipelineCommandLine parsePipelineCommandLine(const pipelines::Pipeline& pipeline, const std::vector<std::string>& words);
std::string pipelineUsage(const pipelines::Pipeline& pipeline);

int cmdRunPipeline(const std::string& id, int argc, char** argv, int first);
int cmdPipelines(int argc, char** argv);

} // namespace kiln::app
