// nsk-jq: a tiny JSON query helper for the VM scenarios (busybox has no jq).
//
//   nsk-jq FILE PATH [PATH...]     print the value at each PATH, one per line
//   FILE "-" reads stdin; with JSON Lines input the LAST line whose "type" is
//   "summary" is used if there is one, else the last line.
//
// PATH syntax (a jq subset):  .a.b   .a[3]   .sockets[local=127.0.0.1:9000].rx_packets
//   .a|length   (number of elements of an array/object)
//   .a|sum:field  (sum of field over the array elements)
// Strings print raw (no quotes), null prints "null", missing paths print
// "missing" and make the exit status 1.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

using nlohmann::json;

namespace {

bool select(const json *&cur, const std::string &path)
{
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '.') {
            ++i;
            // keys may contain dots ("Udp.InDatagrams"): take the longest
            // run of dotted segments that names a member
            size_t end = i;
            while (end < path.size() && path[end] != '[')
                ++end;
            if (!cur->is_object())
                return false;
            size_t j = end;
            bool found = false;
            while (j > i) {
                std::string key = path.substr(i, j - i);
                if (cur->contains(key)) {
                    cur = &(*cur)[key];
                    found = true;
                    break;
                }
                size_t dot = path.rfind('.', j - 1);
                if (dot == std::string::npos || dot < i)
                    break;
                j = dot;
            }
            if (!found)
                return i == end;
            i = j;
        } else if (path[i] == '[') {
            // the closing ']' at depth 0: values may hold brackets ("[::1]:9000")
            size_t j = i + 1;
            for (int depth = 0; j < path.size(); ++j) {
                if (path[j] == '[')
                    ++depth;
                else if (path[j] == ']' && depth-- == 0)
                    break;
            }
            if (j >= path.size())
                return false;
            std::string sel = path.substr(i + 1, j - i - 1);
            i = j + 1;
            if (!cur->is_array())
                return false;
            auto eq = sel.find('=');
            if (eq == std::string::npos) {
                size_t n = std::stoul(sel);
                if (n >= cur->size())
                    return false;
                cur = &(*cur)[n];
            } else {
                std::string k = sel.substr(0, eq), v = sel.substr(eq + 1);
                const json *found = nullptr;
                for (const auto &e : *cur) {
                    if (!e.is_object() || !e.contains(k))
                        continue;
                    const auto &f = e[k];
                    std::string s = f.is_string() ? f.get<std::string>() : f.dump();
                    if (s == v) {
                        found = &e;
                        break;
                    }
                }
                if (!found)
                    return false;
                cur = found;
            }
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::cerr << "usage: nsk-jq FILE|- PATH...\n";
        return 2;
    }
    std::string text;
    {
        std::stringstream ss;
        if (std::string(argv[1]) == "-") {
            ss << std::cin.rdbuf();
        } else {
            std::ifstream f(argv[1]);
            if (!f) {
                std::cerr << "nsk-jq: cannot open " << argv[1] << "\n";
                return 2;
            }
            ss << f.rdbuf();
        }
        text = ss.str();
    }
    json doc;
    bool have = false;
    std::istringstream lines(text);
    std::string line;
    json last;
    bool have_last = false;
    while (std::getline(lines, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] != '{')
            continue;
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded())
            continue;
        last = j;
        have_last = true;
        if (j.is_object() && j.value("type", "") == "summary") {
            doc = j;
            have = true;
        }
    }
    if (!have) {
        if (have_last) {
            doc = last;
        } else {
            doc = json::parse(text, nullptr, false);
            if (doc.is_discarded()) {
                std::cerr << "nsk-jq: no JSON in input\n";
                return 2;
            }
        }
    }
    int rc = 0;
    for (int a = 2; a < argc; ++a) {
        std::string path = argv[a], op;
        auto bar = path.find('|');
        if (bar != std::string::npos) {
            op = path.substr(bar + 1);
            path = path.substr(0, bar);
        }
        const json *cur = &doc;
        if (!select(cur, path)) {
            std::cout << "missing\n";
            rc = 1;
            continue;
        }
        if (op == "length") {
            std::cout << cur->size() << "\n";
        } else if (op.rfind("sum:", 0) == 0) {
            std::string field = op.substr(4);
            double sum = 0;
            for (const auto &e : *cur)
                if (e.is_object() && e.contains(field) && e[field].is_number())
                    sum += e[field].get<double>();
            std::cout << static_cast<long long>(sum) << "\n";
        } else if (cur->is_string()) {
            std::cout << cur->get<std::string>() << "\n";
        } else {
            std::cout << cur->dump() << "\n";
        }
    }
    return rc;
}
