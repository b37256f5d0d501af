#include "cli.h"

#include "core/error.h"
#include "jobs/job_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <sstream>
#include <string>
#include <unistd.h>

namespace kiln::app {

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
}

int Args::getInt(const std::string& name, int fallback, int lo, int hi) const {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < lo || v > hi)
        throw Error("--" + name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + s + "'");
    return int(v);
}

double Args::getDouble(const std::string& name, double fallback, double lo, double hi) const {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) {
        char range[96];
        std::snprintf(range, sizeof range, "%g to %g", lo, hi);
        throw Error("--" + name + " must be a number from " + range + ", not '" + s + "'");
    }
    return v;
}

Args parseArgs(int argc, char** argv, int first, const std::vector<std::string>& valueOptions,
               const std::vector<std::string>& flagOptions) {
    Args args;
    auto contains = [](const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); };
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (a.size() > 2 && a.rfind("--", 0) == 0) {
            std::string key = a.substr(2), value;
            const auto eq = key.find('=');
            const bool inlineValue = eq != std::string::npos;
            if (inlineValue) {
                value = key.substr(eq + 1);
                key = key.substr(0, eq);
            }
            if (contains(valueOptions, key)) {
                if (!inlineValue) {
                    if (i + 1 >= argc) throw Error("option --" + key + " needs a value");
                    value = argv[++i];
                }
                args.options[key] = value;
            } else if (contains(flagOptions, key) && !inlineValue) {
                args.options[key] = "";
            } else {
                throw Error("unknown option --" + key);
            }
        } else if (a == "-o" && contains(valueOptions, "output")) {
            if (i + 1 >= argc) throw Error("option -o needs a value");
            args.options["output"] = argv[++i];
        } else {
            args.positional.push_back(a);
        }
    }
    return args;
}

core::Progress terminalProgress() {
    if (!isatty(STDERR_FILENO)) return core::Progress();
    return core::Progress([](const core::ProgressUpdate& u) {
        if (u.preview) return;
        const int width = 30;
        const int filled = int(u.fraction * width + 0.5f);
        std::string bar(std::size_t(filled), '#');
        bar.resize(width, '-');
        char eta[32] = "";
        if (u.etaSeconds > 0) std::snprintf(eta, sizeof eta, " ETA %.0fs", u.etaSeconds);
        std::fprintf(stderr, "\r\033[K%-24s [%s] %3d%%%s", u.stage.c_str(), bar.c_str(), int(u.fraction * 100 + 0.5f), eta);
        if (u.fraction >= 1.0f) std::fputc('\n', stderr);
        std::fflush(stderr);
    });
}

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void onJobInterrupt(int) { g_interrupted = true; }
} // namespace

std::vector<core::Asset> runJob(const std::string& name,
                                const std::function<std::vector<core::Asset>(core::Progress&, const core::CancelToken&)>& work) {
    jobs::JobQueue queue(1);
    auto job = queue.submit(name, work);
    g_interrupted = false;
    std::signal(SIGINT, onJobInterrupt);
    core::Progress bar = terminalProgress();
    float lastFraction = -1.0f;
    std::string lastStage;
    while (!job->waitFor(std::chrono::milliseconds(100))) {
        if (g_interrupted) job->cancel();
        const auto snap = job->snapshot();
        if (snap.fraction != lastFraction || snap.stage != lastStage) {
            bar.report(snap.stage, std::min(snap.fraction, 0.999f));
            lastFraction = snap.fraction;
            lastStage = snap.stage;
        }
    }
    std::signal(SIGINT, SIG_DFL);
    if (job->state() == jobs::JobState::Cancelled) throw Error(name + ": cancelled, nothing written");
    if (job->state() == jobs::JobState::Failed) throw Error(job->error());
    bar.report("done", 1.0f);
    return job->results();
}

std::string shellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string runCommandOutput(const std::string& command, const std::string& what) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw Error(what + ": cannot run " + command);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    if (pclose(p) != 0) throw Error(what + ": '" + command + "' failed: " + out);
    return out;
}

std::vector<float> parseFloats(const std::string& s, const std::string& option) {
    std::vector<float> v;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, ',')) {
        char* end = nullptr;
        const float f = std::strtof(item.c_str(), &end);
        if (item.empty() || *end != '\0' || !std::isfinite(f)) {
            std::string message = option;
            message += " expects comma-separated numbers, not '";
            message += s;
            message += "'";
            throw Error(message);
        }
        v.push_back(f);
    }
    return v;
}

} // namespace kiln::app
