// Lenient reads of the JSON this tool wrote (capture frames): a missing key or a value of the
// wrong type reads as the default, so an older or newer writer's file still replays.  Private to
// the library.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nsk::jr {

template <typename T>
T num(const nlohmann::json &j, const char *key, T def = T{})
{
    auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return def;
    return it->get<T>();
}

inline std::string str(const nlohmann::json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace nsk::jr
