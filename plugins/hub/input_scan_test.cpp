// SPDX-License-Identifier: MIT
// The input() scanner: tricky sources with the lines expected, and agreement with the rule it
// replaced (Python's tokenizer, run by the system python3) on samples and on every Python file of
// the repository.
#include "hub_logic.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

using namespace hub;
namespace fs = std::filesystem;

namespace {

std::vector<int> calls(const std::string& source) {
    const InputScan s = scan_input_calls(source);
    EXPECT_EQ(s.error, "") << source;
    return s.lines;
}

}  // namespace

TEST(InputScan, CountsRealCallsOnly) {
    EXPECT_EQ(calls("# input( in a comment\n"
                    "x = 'input(' + \"\"\"input(\"\"\"\n"
                    "def get_input(): return raw_input()\n"
                    "obj.input(1)\n"
                    "name = input('name? ')\n"
                    "age = input ( 'age? ' )\n"
                    "print(f\"{input('x')}\")\n"),
              (std::vector<int>{5, 6, 7}));
    EXPECT_TRUE(calls("print('no input here')\n").empty());
}

TEST(InputScan, SkipsEveryStringForm) {
    EXPECT_TRUE(calls("a = r'input(\\''\n"
                      "b = B\"input(\" + Rb'input(' + bR\"\"\"input(\"\"\" + U'input('\n"
                      "c = '''\ninput()\n''' + \"\"\"\ninput(\n\"\"\"\n"
                      "d = 'it\\'s input(' + \"say \\\"input(\\\"\"\n"
                      "e = 'line \\\ninput( continued'\n")
                    .empty());
    // A prefix only makes a string when it is one: `ur` is a name, then a string.
    EXPECT_TRUE(calls("x = ur'input('\n").empty());
    // a string ending in an escaped backslash, then code
    EXPECT_EQ(calls("s = 'a\\\\'; input()\n"), std::vector<int>{1});
}

TEST(InputScan, FStringFieldsAreCode) {
    EXPECT_EQ(calls("f'{input()}'\n"
                    "F\"{x} {input ('a')} {input('b')}\"\n"
                    "rf'{input()}' + fR'\\{input()}'\n"),
              (std::vector<int>{1, 2, 2, 3, 3}));
    // Literal braces, strings inside fields, attributes and names are not calls.
    EXPECT_TRUE(calls("f'{{input()}}'\n"
                      "f\"{'input()'}\"\n"
                      "f'{obj.input()} {input} {x!r:>{width}}'\n"
                      "f'\\N{BULLET} input()'\n")
                    .empty());
    // nested fields in a format spec, a nested f-string, a dict in a field
    EXPECT_EQ(calls("f'{x:{input()}}'\n"
                    "f\"{f'{input()}'}\"\n"
                    "f'{ {1: input()}[1] }'\n"),
              (std::vector<int>{1, 2, 3}));
    // a triple-quoted f-string counts at the line it starts on
    EXPECT_EQ(calls("x = 1\ny = f'''\n{input()}\n'''\n"), std::vector<int>{2});
}

TEST(InputScan, ContinuationsCommentsAndDefinitions) {
    EXPECT_EQ(calls("x = input \\\n  ('a')\n"
                    "y = (input # the name\n  ('b'))\n"
                    "z = [input\n('c')]\n"),
              (std::vector<int>{1, 3, 5}));
    EXPECT_TRUE(calls("def input(prompt=''):\n    return ''\n"
                      "my_input('x')\n_input()\ninput_x()\nx.input()\nx . input ()\n"
                      "input = None\nprint(input)\n")
                    .empty());
    EXPECT_EQ(calls("print(input())\n\tinput()\r\nlambda: input()\n"), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(calls("x = ...\ninput()\n"), std::vector<int>{2});
    EXPECT_EQ(calls("x = 1e+5; input()\ny = 0x1f; z = .5\n"), std::vector<int>{1});
    EXPECT_EQ(calls("café = 1\ninput()\n"), std::vector<int>{2});
}

TEST(InputScan, UnclosedStringsAndBrackets) {
    EXPECT_NE(scan_input_calls("x = '''unterminated\n").error, "");
    EXPECT_NE(scan_input_calls("x = (1,\ninput()\n").error, "");
    EXPECT_TRUE(scan_input_calls("x = '''unterminated\n").lines.empty());
    // A single-quoted string left open ends at the line: Python reads on after the quote.
    EXPECT_EQ(calls("x = 'open input()\ny = 2\n"), std::vector<int>{1});
    EXPECT_TRUE(calls("").empty());
}

// ---------------------------------------------------------------- agreement

namespace {

// The rule this scanner replaced, as it ran (one python3 per launch), applied to each file named
// on the command line: a JSON line per file, {"lines": [...]} or {"error": ...}.
const char* kReferenceRule =
    "import ast, io, json, re, sys, tokenize\n"
    "skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,\n"
    "        tokenize.ENCODING}\n"
    "def fstring_calls(text):\n"
    "    try:\n"
    "        tree = ast.parse(text, mode='eval')\n"
    "    except SyntaxError:\n"
    "        return 0\n"
    "    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Call)\n"
    "               and isinstance(n.func, ast.Name) and n.func.id == 'input')\n"
    "def scan(path):\n"
    "    try:\n"
    "        with open(path, 'rb') as f:\n"
    "            toks = [t for t in tokenize.tokenize(io.BytesIO(f.read()).readline) if t.type not in skip]\n"
    "    except (OSError, SyntaxError, tokenize.TokenError, UnicodeDecodeError) as e:\n"
    "        return {'error': str(e)}\n"
    "    lines = []\n"
    "    for i, t in enumerate(toks):\n"
    "        if t.type == tokenize.STRING and 'f' in re.match('[A-Za-z]*', t.string).group(0).lower():\n"
    "            lines.extend([t.start[0]] * fstring_calls(t.string))\n"
    "            continue\n"
    "        if t.type != tokenize.NAME or t.string != 'input':\n"
    "            continue\n"
    "        if i + 1 >= len(toks) or toks[i + 1].string != '(':\n"
    "            continue\n"
    "        if i > 0 and toks[i - 1].string in ('.', 'def'):\n"
    "            continue\n"
    "        lines.append(t.start[0])\n"
    "    return {'lines': lines}\n"
    "for path in sys.argv[1:]:\n"
    "    print(json.dumps(scan(path)))\n";

// A directory of its own in $TMPDIR, removed with everything in it.
class ScratchDir {
public:
    ScratchDir() : path_(fs::temp_directory_path() / ("mgpux-hub-scan-" + std::to_string(::getpid()))) {
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::string quoted(const fs::path& p) {
    std::string q = "'";
    for (char c : p.string()) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// The reference rule's answer for each file, in order, as the scanner's type.
std::vector<InputScan> reference_scans(const fs::path& dir, const std::vector<fs::path>& files) {
    const fs::path rule = dir / "rule.py";
    std::ofstream(rule) << kReferenceRule;
    std::string cmd = "/usr/bin/python3 " + quoted(rule);
    for (const auto& f : files) cmd += " " + quoted(f);
    std::string out;
    {
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
        char buf[4096];
        while (pipe && fgets(buf, sizeof buf, pipe.get())) out += buf;
    }
    std::vector<InputScan> scans;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        const mgpux::Json doc = mgpux::Json::parse(line);
        InputScan s;
        if (const mgpux::Json* e = doc.find("error")) s.error = e->is_string() ? e->as_string() : "error";
        if (const mgpux::Json* ls = doc.find("lines"))
            for (const auto& l : ls->as_array()) s.lines.push_back(static_cast<int>(l.as_int()));
        scans.push_back(std::move(s));
    }
    return scans;
}

// Sources where the two rules could part ways. (A call in a multi-line f-string is kept on its
// first line: Python 3.12's tokenizer reports such a call at its own line.)
const char* const kSamples[] = {
    "name = input('name? ')\nage = input ( 'age? ' )\n",
    "# input(\nx = 'input(' + \"input(\" + '''input(''' + \"\"\"input(\"\"\"\n",
    "def input(p):\n    return p\nobj.input(1)\nget_input()\nraw_input()\n",
    "x = r'\\'input(' + b'input(' + Rb\"input(\" + u'input(' + BR'''input('''\n",
    "print(f'{input()}' f\"{x!r}\" F'{y:>{input()}}' rf'{input()}\\d')\n",
    "print(f'{{input()}}', f\"{'input()'}\", f'{obj.input()}', f'\\N{BULLET}{input()}')\n",
    "v = f\"{f'{input()}'}\"\n",
    "x = input \\\n    ('a')\ny = (input  # c\n     ('b'))\n",
    "s = '''\ninput()\n''' + input()\n",
    "t = \"a\\\\\"; input()\nu = 'b\\\n input()'\n",
    "x = ...\ninput()\ninput = 3\nprint(input)\n",
    "x = 'open input()\n",
    "x = '''never closed\ninput()\n",
    "x = (1,\ninput()\n",
    "class A:\n    def input(self):\n        return input()\n",
    "lst = [input() for _ in range(3)]\nd = {k: input(k) for k in 'ab'}\n",
    "if x:\n\tinput()\r\nelse:\r\n    pass\r\n",
    "x = 1e+5; y = 0x1F; z = .5j; input()\n",
    "caf\xc3\xa9 = input('\xe2\x82\xac ')\n",
};

// Every .py file of the repository, but those of a build tree or a hidden folder.
std::vector<fs::path> repository_python_files() {
    std::vector<fs::path> files;
    const fs::path root = MGPUX_SOURCE_DIR;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const std::string name = it->path().filename().string();
        if (it->is_directory() && (name == "build" || name.front() == '.' || name == "__pycache__")) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file() && it->path().extension() == ".py") files.push_back(it->path());
    }
    return files;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST(InputScanAgreement, SameAnswerAsPythonsTokenizer) {
    const ScratchDir dir;
    std::vector<fs::path> files;
    for (std::size_t i = 0; i < std::size(kSamples); ++i) {
        files.push_back(dir.path() / ("sample" + std::to_string(i) + ".py"));
        std::ofstream(files.back(), std::ios::binary) << kSamples[i];
    }
    const std::vector<fs::path> repo = repository_python_files();
    ASSERT_GT(repo.size(), 20u);
    files.insert(files.end(), repo.begin(), repo.end());
    const std::vector<InputScan> expected = reference_scans(dir.path(), files);
    ASSERT_EQ(expected.size(), files.size()) << "python3 did not answer for every file";
    int with_calls = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const InputScan got = scan_input_calls(read_file(files[i]));
        EXPECT_EQ(got.error.empty(), expected[i].error.empty())
            << files[i] << ": reference '" << expected[i].error << "', scanner '" << got.error << "'";
        EXPECT_EQ(got.lines, expected[i].lines) << files[i];
        with_calls += !expected[i].lines.empty();
    }
    EXPECT_GT(with_calls, 10);  // the samples do call input()
}
