#pragma once

#include "core/asset.h"
#include "core/progress.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kiln::app {

// Parsed command line: positional arguments and --options (flags map to "").
struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;

    bool has(const std::string& name) const { return options.count(name) != 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const;
    // Whole-number option in [lo, hi]; `fallback` when absent; kiln::Error naming the option otherwise.
    int getInt(const std::string& name, int fallback, int lo, int hi) const;
    // Number option in [lo, hi]; `fallback` when absent; kiln::Error naming the option otherwise.
    double getDouble(const std::string& name, double fallback, double lo, double hi) const;
};

// Parses argv after the subcommand. `valueOptions` take a value ("--scale 2" or "--scale=2"),
// `flagOptions` do not; anything else starting with "--" is an error naming it.
Args parseArgs(int argc, char** argv, int first, const std::vector<std::string>& valueOptions,
               const std::vector<std::string>& flagOptions);

// A Progress that draws a one-line bar on stderr when it is a terminal, and stays silent otherwise.
core::Progress terminalProgress();

// Runs `work` on the job system with the terminal progress bar; Ctrl-C cancels it. Returns its
// assets, or throws kiln::Error("<name>: cancelled, nothing written") or the job's error.
std::vector<core::Asset> runJob(const std::string& name,
                                const std::function<std::vector<core::Asset>(core::Progress&, const core::CancelToken&)>& work);

int cmdInfo(int argc, char** argv);
int cmdConvert(int argc, char** argv);
int cmdBench(int argc, char** argv);
int cmdRender(int argc, char** argv);
int cmdDataset(int argc, char** argv);
int cmdTrain(int argc, char** argv);
int cmdEval(int argc, char** argv);

// `s` as one single-quoted shell word.
std::string shellQuote(const std::string& s);

// Runs a shell command line and returns its standard output; throws kiln::Error naming `what` and
// the command when it cannot start or exits non-zero (benchmarks running kiln in child processes).
std::string runCommandOutput(const std::string& command, const std::string& what);

// "1,0.5,2" -> {1, 0.5, 2}; throws kiln::Error naming `option` on anything else.
std::vector<float> parseFloats(const std::string& s, const std::string& option);

} // namespace kiln::app
