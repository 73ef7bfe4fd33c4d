// Errors are values: every fallible library call returns Result<T>.  The CLI turns an Error
// into one sentence on stderr and an exit code (see cli-contract.md).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace nsk {

enum class Errc {
    usage,             // bad command line / option value (exit 2)
    module_not_loaded, // generic netlink family not registered (exit 3)
    permission_denied, // EPERM/EACCES: CAP_NET_ADMIN missing (exit 4)
    busy,              // EBUSY: another collector is running (exit 1)
    module_gone,       // the module went away while we were talking to it (exit 1)
    protocol,          // malformed / unexpected netlink reply (exit 1)
    system,            // a system call failed (exit 1)
    capture,           // input capture truncated or damaged (exit 5)
    incompatible,      // the module speaks another family/record version (exit 1)
    timeout,           // the module did not answer a request in time, or Ctrl-C (exit 1)
    other,             // anything else (exit 1)
};

struct Error {
    Errc code = Errc::other;
    std::string message; // one sentence, no trailing newline
    int sys_errno = 0;   // positive errno when known
};

/// Exit code for an error per cli-contract.md.
int exit_code(const Error &e);

/// The canonical message for a missing module.
Error module_not_loaded_error();
/// The canonical message for missing privileges (names CAP_NET_ADMIN); `what` says what failed.
Error permission_error(const std::string &what);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(Error err) : v_(std::move(err)) {} // NOLINT(google-explicit-constructor)
    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }
    T &value() & { return std::get<T>(v_); }
    const T &value() const & { return std::get<T>(v_); }
    T &&value() && { return std::get<T>(std::move(v_)); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    const Error &error() const { return std::get<Error>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error err) : err_(std::move(err)) {} // NOLINT(google-explicit-constructor)
    bool ok() const { return !err_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *err_; }

private:
    std::optional<Error> err_;
};

} // namespace nsk
