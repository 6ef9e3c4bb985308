// SPDX-License-Identifier: MIT
#include "services/prompts.hpp"

#include <mgpux/contracts.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace mgpux::services {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

const char* kCancelled = "cancelled";

// Columns a label takes: one per code point (UTF-8 continuation bytes take none).
std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// The label column is as wide as the longest label, so every description
// starts in the same column however long the names are.
std::size_t label_column(const std::vector<std::string>& labels) {
    std::size_t width = 0;
    for (const auto& l : labels) width = std::max(width, display_width(l));
    return width;
}

std::string padded(const std::string& s, std::size_t width) {
    const std::size_t w = display_width(s);
    return w < width ? s + std::string(width - w, ' ') : s;
}

std::string description_of(const std::vector<std::string>& descriptions, std::size_t i) {
    return i < descriptions.size() ? descriptions[i] : "";
}

// "q", "c", "quit" or "cancel", in any case: the numbered list's Esc.
bool is_cancel_answer(std::string answer) {
    for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return answer == "q" || answer == "c" || answer == "quit" || answer == "cancel";
}

}  // namespace

// ------------------------------------------------------------- PosixTerminal

std::optional<std::string> PosixTerminal::read_line() {
    std::string line;
    char c;
    while (true) {
        ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n <= 0) return line.empty() ? std::nullopt : std::optional<std::string>(line);
        if (c == '\n') return line;
        line += c;
    }
}

std::optional<std::string> PosixTerminal::read_secret() {
    termios old{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    auto line = read_line();
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        write("\n");
    }
    return line;
}

KeyPress PosixTerminal::read_key() {
    termios old{};
    if (::tcgetattr(STDIN_FILENO, &old) != 0) return {Key::Eof, 0};
    termios raw = old;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    auto get = [](int timeout_ds) -> int {
        termios t{};
        ::tcgetattr(STDIN_FILENO, &t);
        t.c_cc[VMIN] = timeout_ds ? 0 : 1;
        t.c_cc[VTIME] = static_cast<cc_t>(timeout_ds);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
        unsigned char ch;
        return ::read(STDIN_FILENO, &ch, 1) == 1 ? ch : -1;
    };
    KeyPress k;
    int c = get(0);
    if (c < 0) k.key = Key::Eof;
    else if (c == '\r' || c == '\n') k.key = Key::Enter;
    else if (c == 3) k.key = Key::Interrupt;
    else if (c == 'q') k.key = Key::Cancel;
    else if (c == 'k') k.key = Key::Up;
    else if (c == 'j') k.key = Key::Down;
    else if (c >= '1' && c <= '9') {
        k.key = Key::Digit;
        k.digit = c - '0';
    } else if (c == 27) {
        // A lone Esc cancels; Esc [ A/B are the arrows (a short wait tells them apart).
        int c2 = get(1);
        if (c2 == '[' || c2 == 'O') {
            int c3 = get(1);
            k.key = c3 == 'A' ? Key::Up : c3 == 'B' ? Key::Down : Key::Other;
        } else {
            k.key = Key::Cancel;
        }
    }
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    return k;
}

void PosixTerminal::write(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stderr);
    std::fflush(stderr);
}

int PosixTerminal::rows() const {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
    return 24;
}

// ------------------------------------------------------------------ Prompter

void Prompter::cannot_ask(const std::string& question, const std::string& flag_hint, bool destructive) const {
    std::string why = s_.yes ? "--yes" : s_.no_input ? "--no-input" : "stdin is not a terminal";
    std::string msg = "cannot ask \"" + question + "\" (" + why + ")";
    if (destructive) msg += "; this is destructive, so it is never assumed";
    msg += flag_hint.empty() ? "; run it interactively" : "; pass " + flag_hint;
    throw PromptError(2, msg);
}

int Prompter::select(const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<std::string>& descriptions, int default_index, const std::string& flag_hint) {
    if (labels.empty()) throw PromptError(1, "nothing to choose from for \"" + title + "\"");
    const bool has_default = default_index >= 0 && default_index < static_cast<int>(labels.size());
    if (!interactive()) {
        if (!has_default) cannot_ask(title, flag_hint, false);
        return default_index;
    }
    if (s_.stdout_tty) return arrow_menu(title, labels, descriptions, has_default ? default_index : 0);
    return numbered_menu(title, labels, descriptions, has_default ? default_index : -1);
}

int Prompter::arrow_menu(const std::string& title, const std::vector<std::string>& labels,
                         const std::vector<std::string>& descriptions, int cursor) {
    const int n = static_cast<int>(labels.size());
    const int visible = std::max(1, std::min(n, term_.rows() - 4));
    const std::size_t column = label_column(labels);
    int drawn = 0;
    auto draw = [&] {
        std::string out;
        if (drawn) out += "\033[" + std::to_string(drawn) + "A\033[J";
        out += "  \033[1m" + title + "\033[0m \033[2m(arrows or j/k, Enter to select, Esc/q to cancel)\033[0m\n";
        int start = std::clamp(cursor - visible / 2, 0, n - visible);
        int lines = 1;
        if (start > 0) {
            out += "  \033[2m^ more above\033[0m\n";
            ++lines;
        }
        for (int i = start; i < start + visible; ++i) {
            const auto row = static_cast<std::size_t>(i);
            const std::string desc = description_of(descriptions, row);
            const std::string text = desc.empty() ? labels[row] : padded(labels[row], column) + "  " + desc;
            if (i == cursor) out += "  \033[1;36m> " + text + "\033[0m\n";
            else out += "    \033[2m" + text + "\033[0m\n";
            ++lines;
        }
        if (start + visible < n) {
            out += "  \033[2mv more below\033[0m\n";
            ++lines;
        }
        term_.write(out);
        drawn = lines;
    };
    draw();
    while (true) {
        KeyPress k = term_.read_key();
        switch (k.key) {
            case Key::Up: cursor = (cursor + n - 1) % n; break;
            case Key::Down: cursor = (cursor + 1) % n; break;
            case Key::Digit:
                if (k.digit >= 1 && k.digit <= n) cursor = k.digit - 1;
                break;
            case Key::Enter:
                term_.write("\033[" + std::to_string(drawn) + "A\033[J  \033[32m> " +
                            labels[static_cast<std::size_t>(cursor)] + "\033[0m\n");
                return cursor;
            case Key::Cancel:
            case Key::Interrupt:
            case Key::Eof: term_.write("\033[" + std::to_string(drawn) + "A\033[J"); throw PromptError(130, kCancelled);
            case Key::Other: break;
        }
        draw();
    }
}

int Prompter::numbered_menu(const std::string& title, const std::vector<std::string>& labels,
                            const std::vector<std::string>& descriptions, int default_index) {
    std::string out = title + " (a number, " + (default_index >= 0 ? "Enter for the default, " : "") + "q to cancel)\n";
    const std::size_t column = label_column(labels);
    const std::size_t number_width = std::to_string(labels.size()).size();
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::string number = std::to_string(i + 1);
        out += "  " + std::string(number_width - number.size(), ' ') + number + ") ";
        const std::string desc = description_of(descriptions, i);
        out += desc.empty() ? labels[i] : padded(labels[i], column) + "  " + desc;
        out += "\n";
    }
    term_.write(out);
    while (true) {
        term_.write(default_index >= 0 ? "Choice [" + std::to_string(default_index + 1) + "]: " : "Choice: ");
        auto line = term_.read_line();
        if (!line) throw PromptError(130, kCancelled);
        std::string answer = trim(*line);
        if (answer.empty() && default_index >= 0) return default_index;
        try {
            std::size_t used = 0;
            int v = std::stoi(answer, &used);
            if (used == answer.size() && v >= 1 && v <= static_cast<int>(labels.size())) return v - 1;
        } catch (const std::exception&) {}
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (labels[i] == answer) return static_cast<int>(i);
        if (is_cancel_answer(answer)) throw PromptError(130, kCancelled);
        term_.write("Please enter a number from 1 to " + std::to_string(labels.size()) + ".\n");
    }
}

std::string Prompter::text(const std::string& message, const std::optional<std::string>& default_value, bool secret,
                           const std::string& flag_hint) {
    if (!interactive()) {
        if (!default_value) cannot_ask(message, flag_hint, false);
        return *default_value;
    }
    while (true) {
        std::string shown = message;
        if (default_value && !secret) shown += " [" + *default_value + "]";
        term_.write(shown + ": ");
        auto line = secret ? term_.read_secret() : term_.read_line();
        if (!line) throw PromptError(130, kCancelled);
        std::string answer = secret ? *line : trim(*line);
        if (!answer.empty() && answer.back() == '\r') answer.pop_back();
        if (answer.empty() && default_value) return *default_value;
        if (!answer.empty()) return answer;
        term_.write("A value is required.\n");
    }
}

bool Prompter::confirm(const std::string& message, bool default_yes, bool destructive, const std::string& flag_hint) {
    if (s_.yes) return destructive ? true : default_yes;  // --yes confirms what it is asked to
    if (!interactive()) {
        if (destructive) cannot_ask(message, flag_hint.empty() ? "--yes" : flag_hint, true);
        return default_yes;
    }
    while (true) {
        term_.write(message + (default_yes ? " [Y/n]: " : " [y/N]: "));
        auto line = term_.read_line();
        if (!line) throw PromptError(130, kCancelled);
        std::string a = trim(*line);
        for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (a.empty()) return default_yes;
        if (a == "y" || a == "yes") return true;
        if (a == "n" || a == "no") return false;
        term_.write("Please answer y or n.\n");
    }
}

mgpux::PromptAnswer Prompter::answer(const mgpux::Prompt& prompt) {
    const std::string hint = prompt.flag_hint.value_or("");
    mgpux::PromptAnswer a;
    if (prompt.kind == "select") {
        const int default_index = prompt.default_index ? static_cast<int>(*prompt.default_index) : -1;
        a.index = select(prompt.message, prompt.labels, prompt.descriptions, default_index, hint);
    } else if (prompt.kind == "confirm") {
        a.yes = confirm(prompt.message, prompt.default_yes, prompt.destructive, hint);
    } else {
        // A destructive question (which apps to stop) never takes its default
        // silently: without a terminal it needs --yes, as a destructive confirm does.
        if (prompt.destructive && !s_.yes && !interactive())
            throw PromptError(2, "cannot ask \"" + prompt.message + "\" without a terminal; pass " +
                                     (hint.empty() ? std::string("--yes") : hint));
        a.text = text(prompt.message, prompt.default_value, prompt.secret, hint);
    }
    return a;
}

}  // namespace mgpux::services
