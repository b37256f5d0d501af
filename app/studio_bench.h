#pragma once

// kiln-studio --bench-orbit FILE: opens FILE, orbits the viewport with synthetic mouse drags at
// 60 Hz (as a hand would) and reports the frames presented per second and the longest stall of
// the GUI thread, with adaptive quality on and off (issue 20's studio measurement).

#include <QString>

namespace kiln::ui {
class MainWindow;
}

namespace kiln::app {

struct OrbitBenchOptions {
    QString file;
    double seconds = 6.0;  // per phase
};

// Runs inside the application's event loop; prints a table to stdout. Returns the exit code.
int runOrbitBench(ui::MainWindow& window, const OrbitBenchOptions& options);

} // namespace kiln::app
