{{! SPDX-License-Identifier: MIT }}
# --- m-gpux browser terminal (templates/hub/_terminal.py) ---------------------------------------
# Shared by the Web Bash / dev and the interactive terminal templates: ttyd 1.7.7 fetched from its
# release and checked against a pinned SHA-256 (the image build fails on a mismatch or an HTTP
# error), the dotfiles (ASCII prompt, tmux installed but not started), and the function body.
# The login comes from TTYD_CREDENTIAL ("user:password") in the session's ephemeral Modal Secret.
import json as _term_json
import os as _term_os
import subprocess as _term_subprocess

TERMINAL_PORT = 8888
TERMINAL_APT_PACKAGES = [
    "bash", "curl", "tmux", "nano", "vim", "git", "htop", "btop", "fzf", "ripgrep", "fd-find", "bat",
    "locales", "ca-certificates", "swig", "build-essential", "unzip",
]
TTYD_VERSION = "1.7.7"
TTYD_SHA256 = dict(
    x86_64="8a217c968aba172e0dbf3f34447218dc015bc4d5e59bf51db2f2cd12b7be4f55",
    aarch64="b38acadd89d1d396a0f5649aa52c539edbad07f4bc7348b27b4f4b7219dd4165",
)
TTYD_PATH = "/usr/local/bin/ttyd"
# One shell command (run with /bin/sh at image build time). curl -f turns an HTTP error into a
# failure instead of saving an error page, and sha256sum -c fails the build on a mismatch.
TTYD_INSTALL = (
    "set -eu; arch=$(uname -m); case $arch in "
    "x86_64) sum=%(x86_64)s ;; aarch64|arm64) arch=aarch64; sum=%(aarch64)s ;; "
    "*) echo \"ttyd: unsupported architecture $arch\" >&2; exit 1 ;; esac; "
    "curl -fsSL --retry 3 -o %(path)s https://github.com/tsl0922/ttyd/releases/download/%(version)s/ttyd.$arch; "
    "echo \"$sum  %(path)s\" | sha256sum -c -; chmod 0755 %(path)s"
) % dict(TTYD_SHA256, path=TTYD_PATH, version=TTYD_VERSION)

BASHRC = r'''# m-gpux container shell
export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 EDITOR=nano
export HISTSIZE=50000 HISTFILESIZE=100000 HISTCONTROL=ignoreboth:erasedups
shopt -s histappend checkwinsize globstar
export CLICOLOR=1 LESS=-R
export GREP_COLORS='mt=01;33:fn=35:ln=32:se=36'
alias ls='ls --color=auto' ll='ls -alFh' la='ls -A' l='ls -CF'
alias ..='cd ..' ...='cd ../..' ....='cd ../../..'
alias gpus='nvidia-smi' g='git' gs='git status' gl='git log --oneline --graph --decorate -20'
alias py='python' ipy='python -m IPython'
alias venv='python -m venv .venv && . .venv/bin/activate'
alias df='df -h' du='du -h' free='free -h' mkdir='mkdir -pv' grep='grep --color=auto'
command -v batcat >/dev/null 2>&1 && alias cat='batcat --paging=never' bat='batcat'
command -v fdfind >/dev/null 2>&1 && alias fd='fdfind'
command -v btop >/dev/null 2>&1 && alias top='btop'
[ -f /usr/share/doc/fzf/examples/key-bindings.bash ] && . /usr/share/doc/fzf/examples/key-bindings.bash
[ -f /usr/share/bash-completion/completions/fzf ] && . /usr/share/bash-completion/completions/fzf
export FZF_DEFAULT_OPTS='--color=bg+:#313244,bg:#1e1e2e,spinner:#f5e0dc,hl:#f38ba8,fg:#cdd6f4,header:#f38ba8,info:#cba6f7,pointer:#f5e0dc,marker:#f5e0dc,fg+:#cdd6f4,prompt:#cba6f7,hl+:#f38ba8'
command -v fdfind >/dev/null 2>&1 && export FZF_DEFAULT_COMMAND='fdfind --type f --hidden --exclude .git'
# Plain ASCII prompt: wide glyphs misalign the cursor in the browser terminal.
PS1='\[\e[1;36m\]\w\[\e[0m\] \[\e[1;32m\]$\[\e[0m\] '
cd /workspace 2>/dev/null || true
if [ -t 1 ] && [ -z "${M_GPUX_WELCOMED:-}" ]; then
  export M_GPUX_WELCOMED=1
  echo "m-gpux container shell"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/  GPU: /'
  fi
  echo "  CPU cores: $(nproc)   RAM: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "  Directory: $(pwd)"
  echo "  Tools: tmux, git, htop, btop, fzf, rg, fd, bat, nano, vim"
fi
'''

TMUX_CONF = r'''# m-gpux tmux settings (tmux is installed, not started: run `tmux` yourself)
set -g default-terminal "xterm-256color"
set -ga terminal-overrides ",xterm-256color:Tc"
set -g mouse on
set -g history-limit 200000
set -g status off
setw -g mode-keys vi
set -sg escape-time 0
set -g base-index 1
setw -g pane-base-index 1
set -g renumber-windows on
set -g focus-events on
bind -n WheelUpPane if-shell -F -t = "#{alternate_on}" "send-keys -M" "if -Ft= '#{pane_in_mode}' 'send-keys -M' 'copy-mode -e'"
bind -T copy-mode-vi WheelUpPane send-keys -X -N 3 scroll-up
bind -T copy-mode-vi WheelDownPane send-keys -X -N 3 scroll-down
bind | split-window -h -c "#{pane_current_path}"
bind - split-window -v -c "#{pane_current_path}"
bind r source-file ~/.tmux.conf \; display "tmux.conf reloaded"
set -g pane-border-style "fg=#45475a"
set -g pane-active-border-style "fg=#89b4fa"
set -g status-style "bg=#1e1e2e,fg=#cdd6f4"
'''

# Catppuccin Mocha for the browser terminal.
TTYD_THEME = dict(
    background="#1e1e2e", foreground="#cdd6f4", cursor="#f5e0dc", selectionBackground="#585b70",
    black="#45475a", red="#f38ba8", green="#a6e3a1", yellow="#f9e2af", blue="#89b4fa", magenta="#f5c2e7",
    cyan="#94e2d5", white="#bac2de", brightBlack="#585b70", brightRed="#f38ba8", brightGreen="#a6e3a1",
    brightYellow="#f9e2af", brightBlue="#89b4fa", brightMagenta="#f5c2e7", brightCyan="#94e2d5",
    brightWhite="#a6adc8",
)
TTYD_CLIENT_OPTIONS = [
    "fontSize=14", "fontFamily=Cascadia Mono, Consolas, Menlo, monospace", "fontWeight=400",
    "fontWeightBold=700", "lineHeight=1.2", "letterSpacing=0", "cursorStyle=bar", "cursorBlink=true",
    "scrollback=10000", "scrollSensitivity=1", "rendererType=canvas", "customGlyphs=true",
    "rescaleOverlappingGlyphs=true", "drawBoldTextInBrightColors=false", "smoothScrollDuration=125",
    "fastScrollModifier=alt", "fastScrollSensitivity=10", "disableResizeOverlay=true", "macOptionIsMeta=true",
    "theme=" + _term_json.dumps(TTYD_THEME, separators=(",", ":")),
]
TTYD_FLAGS = ["-W", "-P", "120"]
for _option in TTYD_CLIENT_OPTIONS:
    TTYD_FLAGS += ["-t", _option]
TTYD_FLAGS += ["-T", "xterm-256color"]


def _terminal_credential():
    credential = _term_os.environ.get("TTYD_CREDENTIAL", "")
    user, sep, password = credential.partition(":")
    if not (user and sep and password):
        raise RuntimeError("TTYD_CREDENTIAL (user:password) is not set: the session secret must define it")
    return credential


def _install_dotfiles(home="/root"):
    _term_os.makedirs(home, exist_ok=True)
    for name, text in ((".bashrc", BASHRC), (".tmux.conf", TMUX_CONF)):
        with open(_term_os.path.join(home, name), "w", encoding="utf-8") as handle:
            handle.write(text)


def _ttyd_command(credential, port=None):
    return ["ttyd"] + TTYD_FLAGS + ["-c", credential, "-p", str(port or TERMINAL_PORT), "bash", "--login"]


def _terminal_env():
    """The shell's environment: the container's, without the credential, in UTF-8."""
    env = dict(_term_os.environ)
    env.pop("TTYD_CREDENTIAL", None)
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


def _run_terminal(title, hints=(), home="/root"):
    credential = _terminal_credential()
    _end_on_sigterm()
    _print_metrics()
    _seed_workspace()
    _commit_workspace()
    stop = _start_autocommit()
    try:
        _install_dotfiles(home)
        with modal.forward(TERMINAL_PORT) as tunnel:
            proc = _term_subprocess.Popen(_ttyd_command(credential), env=_terminal_env(), cwd=WORKSPACE_DIR)
            if not _wait_for_port(TERMINAL_PORT, proc):
                proc.kill()
                raise RuntimeError("ttyd exited with %s before it listened on port %d" % (proc.wait(), TERMINAL_PORT))
            print("[%s]" % title, flush=True)
            print("URL: %s" % tunnel.url, flush=True)
            print("Login: the user and password m-gpux printed when it started this session", flush=True)
            for line in list(hints) + _workspace_banner_lines():
                print(line, flush=True)
            _announce_ready(tunnel.url)
            code = proc.wait()
            if code != 0:
                raise RuntimeError("ttyd exited with %d" % code)
    finally:
        _finish_workspace(stop)
# --- end of the browser terminal ----------------------------------------------------------------
