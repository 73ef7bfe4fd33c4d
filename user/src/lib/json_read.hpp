// Lenient reads of the JSON this tool wrote (capture frames): a missing key or a value of the
// wrong type reads as the default, so an older or newer writer's file still replays.  Private to
// the library.  A number that T cannot hold (negative for an unsigned field, too large, not
// finite, a fraction for an integer field) also reads as the default: converting it would be
// undefined behaviour (a double beyond the range of an integer type) or a silent wrap.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>

namespace nsk::jr {

/// The number `v` as a T, if it is a number T can hold exactly (see above); else nullopt.
template <typename T>
std::optional<T> as(const nlohmann::json &v)
{
    if (!v.is_number())
        return std::nullopt;
    using L = std::numeric_limits<T>;
    if constexpr (std::is_floating_point_v<T>) {
        const double d = v.get<double>();
        if (!std::isfinite(d))
            return std::nullopt;
        return static_cast<T>(d);
    } else {
        if (v.is_number_unsigned()) {
            const auto u = v.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(L::max()))
                return std::nullopt;
            return static_cast<T>(u);
        }
        if (v.is_number_integer()) {
            const auto i = v.get<std::int64_t>();
            if (i < 0 && !(L::is_signed && i >= static_cast<std::int64_t>(L::min())))
                return std::nullopt;
            if (i >= 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(L::max()))
                return std::nullopt;
            return static_cast<T>(i);
        }
        // a double for an integer field: only a whole number inside T's range
        const double d = v.get<double>();
        if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(L::min()) ||
            d >= std::ldexp(1.0, L::digits))
            return std::nullopt;
        return static_cast<T>(d);
    }
}

template <typename T>
T num(const nlohmann::json &j, const char *key, T def = T{})
{
    auto it = j.find(key);
    if (it == j.end())
        return def;
    return as<T>(*it).value_or(def);
}

/// A boolean member, false when absent or not a boolean.
inline bool flag(const nlohmann::json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}

inline std::string str(const nlohmann::json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace nsk::jr
