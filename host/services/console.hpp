// SPDX-License-Identifier: MIT
// Console output: plain text, aligned tables, the JSON document, colour
// rules and a spinner. The one place that decides what goes to stdout.
#pragma once

#include <boost/json/fwd.hpp>

#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mgpux::services {

enum class TextKind { Plain = 0, Info = 1, Success = 2, Warning = 3, Heading = 4, Dim = 5, Error = 6 };

struct ConsoleSettings {
    bool json = false;  // --json: stdout holds only the JSON document
    int verbosity = 0;  // -q hides Info text
    bool color_stdout = false;
    bool color_stderr = false;
    bool stderr_is_tty = false;  // spinner only on a terminal
};

// --color auto|always|never and NO_COLOR decide colour per stream.
bool decide_color(const std::string& mode, bool is_tty);

// Text that came from outside (a name, a description, a file's content, what
// `modal` answered) with its control characters made visible, so it can never
// drive the terminal: \n \t \r as those two characters, other C0 controls and
// DEL as \xNN, C1 controls as \u00NN, bytes that are not UTF-8 as \xNN. With
// `keep_layout`, newlines and tabs stay as they are.
std::string visible_controls(std::string_view s, bool keep_layout = true);

// The one control a plugin may send through text(): at the very start of a
// text, home the cursor and clear the screen (a monitor redrawing its frame).
inline constexpr std::string_view kClearScreen = "\x1b[H\x1b[2J";

struct Table {
    std::string title;
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
};

// Parses {"title","columns","rows"}; throws std::invalid_argument.
Table table_from_json(const boost::json::value& v);
std::string format_table(const Table& t);

// The errno of the first write to a console's stdout that failed (a full
// disk, a closed file), or 0. The exit status reports it.
int output_write_error();

class Console {
public:
    Console(ConsoleSettings settings, std::ostream& out, std::ostream& err);
    ~Console();

    // Every text, table cell and message goes through visible_controls (a text
    // may start with kClearScreen); JSON documents are exact, and a child's
    // output passed through is shown as the child wrote it.
    void text(TextKind kind, const std::string& s);
    void table(const Table& t);
    // Writes the JSON document; returns false if one was already written.
    bool json(const boost::json::value& v);
    bool json_written() const { return json_written_; }
    // "m-gpux: error: ..." on stderr.
    void error(const std::string& message);
    void warning(const std::string& message);
    void progress(const char* message);
    // A line of a watched child's output, shown as it arrives: its stdout
    // on our stdout (stderr under --json), its stderr on stderr.
    void passthrough(int stream, std::string_view line);

    const ConsoleSettings& settings() const { return settings_; }
    std::ostream& out() { return out_; }
    std::ostream& err() { return err_; }

private:
    std::string styled(TextKind kind, const std::string& s, bool color) const;
    void flush_out();
    void stop_spinner();

    ConsoleSettings settings_;
    std::ostream& out_;
    std::ostream& err_;
    bool json_written_ = false;
    struct Spinner;
    std::unique_ptr<Spinner> spinner_;
};

}  // namespace mgpux::services
