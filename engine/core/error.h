#pragma once

#include <stdexcept>
#include <string>

namespace kiln {

// The one exception type that crosses layers. The message names the input and the reason,
// e.g. "Duck.glb: not a glTF binary (bad magic)", so it can be shown to a user as it is.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown by CancelToken::throwIfCancelled(); a job that ends with it is reported as cancelled.
class Cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "cancelled"; }
};

} // namespace kiln
