// SPDX-License-Identifier: MIT
// Prompts that obey --yes, --no-input and a non-terminal stdin:
// an arrow-key menu when stdin and stdout are terminals, a numbered list
// when only stdin is, and no question at all otherwise.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mgpux {
struct Prompt;  // <mgpux/contracts.hpp>
struct PromptAnswer;
}  // namespace mgpux

namespace mgpux::services {

struct PromptSettings {
    bool yes = false;
    bool no_input = false;
    bool stdin_tty = false;
    bool stdout_tty = false;
};

// A prompt that cannot be answered (status 2) or was cancelled (status 130).
struct PromptError : std::runtime_error {
    PromptError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
    int status;
};

enum class Key { Up, Down, Enter, Cancel, Interrupt, Digit, Other, Eof };

struct KeyPress {
    Key key = Key::Other;
    int digit = 0;
};

// Where prompts read and draw; the real one is the process's terminal.
class Terminal {
public:
    virtual ~Terminal() = default;
    virtual std::optional<std::string> read_line() = 0;    // nullopt at end of input
    virtual std::optional<std::string> read_secret() = 0;  // no echo
    virtual KeyPress read_key() = 0;                       // raw mode, one key
    virtual void write(const std::string& s) = 0;
    virtual int rows() const { return 24; }
};

// The process's terminal: reads stdin, draws on stderr.
class PosixTerminal : public Terminal {
public:
    std::optional<std::string> read_line() override;
    std::optional<std::string> read_secret() override;
    KeyPress read_key() override;
    void write(const std::string& s) override;
    int rows() const override;
};

class Prompter {
public:
    Prompter(PromptSettings settings, Terminal& terminal) : s_(settings), term_(terminal) {}

    // Indices into labels; default_index < 0 means none.
    int select(const std::string& title, const std::vector<std::string>& labels,
               const std::vector<std::string>& descriptions, int default_index, const std::string& flag_hint);
    std::string text(const std::string& message, const std::optional<std::string>& default_value, bool secret,
                     const std::string& flag_hint);
    bool confirm(const std::string& message, bool default_yes, bool destructive, const std::string& flag_hint);
    // One prompt as the SDK describes it (what a plugin asks through the host
    // table): asked as select, text or confirm, the answer in the member of
    // its kind. A destructive text question, like a destructive confirm, is
    // never answered by its default without a terminal unless --yes is given.
    mgpux::PromptAnswer answer(const mgpux::Prompt& prompt);

    // True when questions are actually asked.
    bool interactive() const { return s_.stdin_tty && !s_.no_input && !s_.yes; }

private:
    [[noreturn]] void cannot_ask(const std::string& question, const std::string& flag_hint, bool destructive) const;
    int arrow_menu(const std::string& title, const std::vector<std::string>& labels,
                   const std::vector<std::string>& descriptions, int default_index);
    int numbered_menu(const std::string& title, const std::vector<std::string>& labels,
                      const std::vector<std::string>& descriptions, int default_index);

    PromptSettings s_;
    Terminal& term_;
};

}  // namespace mgpux::services
