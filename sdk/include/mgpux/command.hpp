// mgpux/command.hpp — builders for the command table of mgpux/command.h.
#ifndef MGPUX_COMMAND_HPP
#define MGPUX_COMMAND_HPP

#include "command.h"

#include <cstddef>
#include <cstdint>

namespace mgpux {

inline mgpux_option option(const char* name, int32_t type, const char* help,
                           const char* default_value = nullptr, uint32_t flags = 0,
                           int32_t short_alias = 0, const char* const* choices = nullptr,
                           const char* metavar = nullptr, const char* exclusive_group = nullptr) {
    mgpux_option o{};
    o.struct_size = sizeof(mgpux_option);
    o.name = name;
    o.short_alias = short_alias;
    o.type = type;
    o.flags = flags;
    o.metavar = metavar;
    o.help = help;
    o.default_value = default_value;
    o.choices = choices;
    o.exclusive_group = exclusive_group;
    return o;
}

inline mgpux_option positional(const char* name, const char* help, uint32_t flags = MGPUX_OPTF_REQUIRED,
                               int32_t type = MGPUX_OPT_STRING) {
    return option(name, type, help, nullptr, flags | MGPUX_OPTF_POSITIONAL);
}

template <std::size_t N>
mgpux_command command(const char* path, const char* summary, const mgpux_option (&options)[N],
                      const char* help = nullptr, uint32_t flags = 0,
                      const char* trailing_name = nullptr) {
    mgpux_command c{};
    c.struct_size = sizeof(mgpux_command);
    c.path = path;
    c.summary = summary;
    c.help = help;
    c.options = options;
    c.option_count = static_cast<uint32_t>(N);
    c.flags = flags;
    c.trailing_name = trailing_name;
    return c;
}

inline mgpux_command command(const char* path, const char* summary, const char* help = nullptr,
                             uint32_t flags = 0) {
    mgpux_command c{};
    c.struct_size = sizeof(mgpux_command);
    c.path = path;
    c.summary = summary;
    c.help = help;
    c.flags = flags;
    return c;
}

}  // namespace mgpux

#endif  // MGPUX_COMMAND_HPP
