// SPDX-License-Identifier: MIT
// mgpux/command.hpp — builders for the command table of mgpux/command.h.
#ifndef MGPUX_COMMAND_HPP
#define MGPUX_COMMAND_HPP

#include "command.h"

#include <cstddef>
#include <cstdint>

namespace mgpux {

// An option written by name, one property per call:
//
//   mgpux::option("gpu").alias('g').metavar("NAME[:N]").help("GPU type")
//   mgpux::option("port").kind(MGPUX_OPT_INT).default_value("8000")
//   mgpux::option("pip").repeatable().help("a package to install")
//   mgpux::option("action").choices(kActions)        // kind becomes CHOICE
//   mgpux::option("warmup").negatable()              // --warmup / --no-warmup
//   mgpux::positional("name").optional()
//
// It converts to the mgpux_option the table holds. Every string it is given
// (and the choices array) must have static storage, as the ABI requires.
class OptionBuilder {
public:
    constexpr explicit OptionBuilder(const char* name) : o_{} {
        o_.struct_size = sizeof(mgpux_option);
        o_.name = name;
        o_.type = MGPUX_OPT_STRING;
    }
    constexpr operator mgpux_option() const { return o_; }  // NOLINT: the table's element type
    constexpr const mgpux_option& get() const { return o_; }

    constexpr OptionBuilder alias(char letter) const {
        return with([&](mgpux_option& o) { o.short_alias = letter; });
    }
    constexpr OptionBuilder kind(int32_t type) const {
        return with([&](mgpux_option& o) { o.type = type; });
    }
    constexpr OptionBuilder metavar(const char* text) const {
        return with([&](mgpux_option& o) { o.metavar = text; });
    }
    constexpr OptionBuilder help(const char* text) const {
        return with([&](mgpux_option& o) { o.help = text; });
    }
    // The default in its text form ("30", "true", "deploy").
    constexpr OptionBuilder default_value(const char* text) const {
        return with([&](mgpux_option& o) { o.default_value = text; });
    }
    // A NULL-terminated static array of allowed values; the kind becomes CHOICE.
    constexpr OptionBuilder choices(const char* const* values) const {
        return with([&](mgpux_option& o) {
            o.choices = values;
            o.type = MGPUX_OPT_CHOICE;
        });
    }
    // Options of one command in the same group may not be given together.
    constexpr OptionBuilder exclusive_group(const char* group) const {
        return with([&](mgpux_option& o) { o.exclusive_group = group; });
    }
    // A plain flag (--x); negatable() makes it on/off (--x / --no-x).
    constexpr OptionBuilder flag() const { return kind(MGPUX_OPT_BOOL); }
    constexpr OptionBuilder negatable() const { return flag().set(MGPUX_OPTF_NEGATABLE); }
    constexpr OptionBuilder repeatable() const { return set(MGPUX_OPTF_REPEATABLE); }
    constexpr OptionBuilder required() const { return set(MGPUX_OPTF_REQUIRED); }
    constexpr OptionBuilder optional() const { return clear(MGPUX_OPTF_REQUIRED); }
    constexpr OptionBuilder hidden() const { return set(MGPUX_OPTF_HIDDEN); }
    constexpr OptionBuilder set(uint32_t flags) const {
        return with([&](mgpux_option& o) { o.flags |= flags; });
    }
    constexpr OptionBuilder clear(uint32_t flags) const {
        return with([&](mgpux_option& o) { o.flags &= ~flags; });
    }

private:
    template <typename Edit>
    constexpr OptionBuilder with(Edit edit) const {
        OptionBuilder copy = *this;
        edit(copy.o_);
        return copy;
    }
    mgpux_option o_;
};

// A string option named `name`; refine it with the builder's calls.
constexpr OptionBuilder option(const char* name) { return OptionBuilder(name); }

// A required positional argument named `name` (.optional() drops "required").
constexpr OptionBuilder positional(const char* name) {
    return OptionBuilder(name).set(MGPUX_OPTF_POSITIONAL | MGPUX_OPTF_REQUIRED);
}

// The older form, kept for plugins written against it: every property a
// positional parameter, in the order of mgpux_option's fields.
inline mgpux_option option(const char* name, int32_t type, const char* help, const char* default_value = nullptr,
                           uint32_t flags = 0, int32_t short_alias = 0, const char* const* choices = nullptr,
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
                      const char* help = nullptr, uint32_t flags = 0, const char* trailing_name = nullptr) {
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

inline mgpux_command command(const char* path, const char* summary, const char* help = nullptr, uint32_t flags = 0) {
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
