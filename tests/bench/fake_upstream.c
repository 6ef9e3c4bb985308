// SPDX-License-Identifier: MIT
// A native fake upstream for the proxy bench (tests/bench/proxy.sh --upstream native): it answers
// what the bench sends the way tests/support/fake_upstream.py does (the same heads, the same JSON
// with its members in the same order, the same stream events and chunk framing), but in C, so
// that at high concurrency the fake is not what saturates its core and the cells measure the
// proxies. One thread, non-blocking sockets, level-triggered epoll; HTTP/1.1 with keep-alive,
// pipelined requests answered in order, bodies framed by Content-Length.
//
//   fake_upstream [--host 127.0.0.1] [--port 0] [--tokens 20] [--model fake-model] [--coalesce]
//
// Prints `READY <port>` on stdout once it listens (port 0 picks a free one); runs until killed.
//
// Routes (only those of the Python fake that the bench uses)
//   /v1/models                    the model list (any method, like the Python fake)
//   POST /v1/chat/completions     N tokens (N = max_tokens, else --tokens); with "stream": true an
//   POST /v1/completions          SSE stream, one chunk per token, then a usage event when
//                                 stream_options.include_usage is true, then `data: [DONE]`;
//                                 max_tokens < 0 or a body that is not a JSON object: 400
//   anything else                 404 with the Python fake's JSON error
// Not here: TLS, --token-delay, the x-fake-* request headers, /v1/echo, /v1/status/NNN,
// /_fake/stats, chunked request bodies (400). A request head that cannot be parsed, or one over
// 64 KiB, gets 400 and the connection is closed; a body over 1 MiB gets 413 and the same.
//
// The body is read as text, without a JSON library: a small scanner checks that it is one JSON
// object and finds the values of its top-level members ("stream", "max_tokens", "messages",
// "prompt", "stream_options" and in that one "include_usage"). The Python fake counts its prompt
// tokens as len(json.dumps(messages or prompt)) // 4; here the length is that of the value's text
// as the client wrote it, the same whenever the client used json.dumps' spacing (as the bench
// does) and close otherwise.
//
// How a stream is written matters to the proxies measured (each write is a segment they read).
// By default it is written as the Python fake writes it (asyncio sends each write() at once): the
// head, every token's chunk, the usage event, `data: [DONE]` and the last chunk, each in a send()
// of its own. With --coalesce the head goes with the first token's chunk and the usage event,
// [DONE] and the last chunk go together: two send()s fewer per stream. A non-stream answer is one
// send(), head and body. A send() that would block keeps the rest in the connection's buffer,
// which is written on EPOLLOUT before anything else; meanwhile the connection reads nothing more,
// and a stream's next piece is made only once that buffer is empty (so a client that stops reading
// costs a bounded amount of memory).
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    HEAD_MAX = 64 * 1024,           // a request head longer than this: 400
    BODY_MAX = 1024 * 1024,         // a request body longer than this: 413
    OUT_MAX = 4 * 1024 * 1024,      // what one connection may have waiting to be sent
    NONSTREAM_TOKENS_MAX = 100000,  // a non-stream answer is built whole: 400 above this
    READ_CHUNK = 16 * 1024,         // the least room made in the input buffer for a read
    JSON_DEPTH_MAX = 64,            // deeper bodies are not accepted
};

// A growable byte buffer; its size never passes the limit given to buf_room.
struct buf {
    char* p;
    size_t len, cap;
};

static int buf_room(struct buf* b, size_t extra, size_t limit) {
    if (b->len + extra <= b->cap) return 0;
    if (b->len + extra > limit) return -1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra) cap *= 2;
    if (cap > limit) cap = limit;
    char* p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_add(struct buf* b, const void* data, size_t len) {
    if (buf_room(b, len, OUT_MAX) < 0) return -1;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

static int buf_str(struct buf* b, const char* s) { return buf_add(b, s, strlen(s)); }

static int buf_fmt(struct buf* b, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);  // straight into the room there is, as a rule; else again once there is more
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    if ((size_t)n >= b->cap - b->len) {
        if (buf_room(b, (size_t)n + 1, OUT_MAX) < 0) return -1;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
    return 0;
}

// s as a JSON string the way Python's json.dumps writes it (ensure_ascii: every non-ASCII
// character as \uXXXX, a surrogate pair above U+FFFF; a byte that is not UTF-8 as \udcXX, as
// Python's surrogateescape would have read it from the command line).
static void buf_json_string(struct buf* b, const unsigned char* s, size_t len) {
    buf_str(b, "\"");
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        unsigned cp = 0, need = 0;
        if (c == '"' || c == '\\') {
            buf_fmt(b, "\\%c", c);
        } else if (c == '\n') {
            buf_str(b, "\\n");
        } else if (c == '\r') {
            buf_str(b, "\\r");
        } else if (c == '\t') {
            buf_str(b, "\\t");
        } else if (c == '\b') {
            buf_str(b, "\\b");
        } else if (c == '\f') {
            buf_str(b, "\\f");
        } else if (c < 0x20 || c == 0x7f) {
            buf_fmt(b, "\\u%04x", c);
        } else if (c < 0x80) {
            buf_add(b, &s[i], 1);
        } else {
            if ((c & 0xe0) == 0xc0) cp = c & 0x1f, need = 1;
            else if ((c & 0xf0) == 0xe0) cp = c & 0x0f, need = 2;
            else if ((c & 0xf8) == 0xf0) cp = c & 0x07, need = 3;
            unsigned k = 0;
            while (need && k < need && i + 1 + k < len && (s[i + 1 + k] & 0xc0) == 0x80) {
                cp = cp << 6 | (s[i + 1 + k] & 0x3f);
                k++;
            }
            static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
            if (!need || k < need || cp < least[need] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
                buf_fmt(b, "\\udc%02x", c);  // not UTF-8: this byte alone
                i++;
                continue;
            }
            if (cp >= 0x10000) {
                cp -= 0x10000;
                buf_fmt(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else {
                buf_fmt(b, "\\u%04x", cp);
            }
            i += 1 + need;
            continue;
        }
        i++;
    }
    buf_str(b, "\"");
}

// -- the JSON body, read as text ------------------------------------------------------------------

static const char* skip_ws(const char* p, const char* end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

// p at a '"': just past the closing one, or NULL
static const char* skip_string(const char* p, const char* end) {
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
        } else if (*p == '"') {
            return p + 1;
        } else if ((unsigned char)*p < 0x20) {
            return NULL;
        }
    }
    return NULL;
}

// p at a value: just past it, or NULL when it is not one
static const char* skip_value(const char* p, const char* end, int depth) {
    if (p >= end || depth > JSON_DEPTH_MAX) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        const char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= end || *p != '"' || !(p = skip_string(p, end))) return NULL;
                p = skip_ws(p, end);
                if (p >= end || *p != ':') return NULL;
                p = skip_ws(p + 1, end);
            }
            if (!(p = skip_value(p, end, depth + 1))) return NULL;
            p = skip_ws(p, end);
            if (p < end && *p == close) return p + 1;
            if (p >= end || *p != ',') return NULL;
            p = skip_ws(p + 1, end);
        }
    }
    // true, false, null, or a number (checked only as far as its characters go)
    static const char* const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        const size_t len = strlen(words[i]);
        if ((size_t)(end - p) >= len && memcmp(p, words[i], len) == 0) return p + len;
    }
    if (*p != '-' && (*p < '0' || *p > '9')) return NULL;
    const char* start = p;
    while (p < end && ((*p && strchr("+-.eE", *p)) || (*p >= '0' && *p <= '9'))) p++;
    return p > start ? p : NULL;
}

// The value of member `key` of the object [obj, end) (obj at its '{', already checked by
// skip_value): 1 with [*v, *v_end) set, else 0. Keys are compared as written (no escapes); the
// last of two equal keys wins, as in Python's json.loads.
static int member(const char* obj, const char* end, const char* key, const char** v, const char** v_end) {
    const size_t key_len = strlen(key);
    int found = 0;
    const char* p = skip_ws(obj + 1, end);
    while (p < end && *p == '"') {
        const char* k = p + 1;
        p = skip_string(p, end);
        const int match = (size_t)(p - 1 - k) == key_len && memcmp(k, key, key_len) == 0;
        p = skip_ws(skip_ws(p, end) + 1, end);  // past the ':'
        const char* value = p;
        p = skip_value(p, end, 1);
        if (match) {
            *v = value;
            *v_end = p;
            found = 1;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') p = skip_ws(p + 1, end);
    }
    return found;
}

static int text_is(const char* v, const char* v_end, const char* s) {
    return (size_t)(v_end - v) == strlen(s) && memcmp(v, s, strlen(s)) == 0;
}

// Python's truthiness of a JSON value: false, null, 0, "", [] and {} are false
static int truthy(const char* v, const char* v_end) {
    if (text_is(v, v_end, "false") || text_is(v, v_end, "null") || text_is(v, v_end, "\"\"")) return 0;
    if (*v == '[' || *v == '{') return *skip_ws(v + 1, v_end) != (*v == '[' ? ']' : '}');
    if (*v == '-' || (*v >= '0' && *v <= '9')) return strtod(v, NULL) != 0;
    return 1;
}

// -- connections ----------------------------------------------------------------------------------

struct conn {
    int fd;
    int dead;         // closed; freed after this batch of events
    int eof;          // the client closed its side
    int close_after;  // close once the answer under way is out
    uint32_t events;  // what epoll watches for now
    struct buf in;    // what was read; in_off: where the next request starts
    size_t in_off;
    struct buf out;  // what send() did not take yet; out_off: where it resumes
    size_t out_off;
    // the stream being answered: its next piece (0: the head, 1..tokens: token chunks, then the
    // usage event, [DONE] and the last chunk)
    int streaming, chat, usage;
    long piece, tokens, prompt_tokens;
    char id[40];
    struct conn* next_dead;
};

static int ep;
static int coalesce;
static long default_tokens = 20;
static struct buf model_json;  // the model's name as a JSON string
static struct buf scratch;     // what the next send() sends
static struct buf work;        // a body or an event being built
static struct conn* dead_list;

static void conn_close(struct conn* c) {
    if (c->dead) return;
    c->dead = 1;
    close(c->fd);  // also leaves the epoll set
    c->next_dead = dead_list;
    dead_list = c;
}

static void watch(struct conn* c, uint32_t events) {
    if (c->events == events) return;
    c->events = events;
    struct epoll_event ev = {.events = events, .data = {.ptr = c}};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int pending(const struct conn* c) { return c->out.len > c->out_off; }

// data to the client: at once if nothing is waiting and the socket takes it, else what is left
// after what is already waiting, sent on EPOLLOUT; the order of the bytes is kept either way
static void emit(struct conn* c, const char* data, size_t len) {
    if (c->dead) return;
    if (!pending(c)) {
        c->out.len = c->out_off = 0;
        while (len > 0) {
            ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
            if (n > 0) {
                data += n;
                len -= (size_t)n;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {
                conn_close(c);  // reset by the client, or gone
                return;
            }
        }
        if (len == 0) return;
    }
    if (buf_add(&c->out, data, len) < 0) {
        conn_close(c);
        return;
    }
    watch(c, EPOLLOUT);
}

// what is waiting, on EPOLLOUT; reading resumes once it is all out
static void flush(struct conn* c) {
    while (pending(c)) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            conn_close(c);
            return;
        }
    }
    c->out.len = c->out_off = 0;
    watch(c, EPOLLIN);
}

static const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 413: return "Payload Too Large";
        default: return "Status";
    }
}

// An answer with a JSON body, in one send(): the head as the Python fake's respond() writes it
static void respond(struct conn* c, int status, const struct buf* body, const char* extra_headers) {
    scratch.len = 0;
    buf_fmt(&scratch,
            "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %zu\r\n"
            "server: fake-upstream\r\n%s\r\n",
            status, reason(status), body->len, extra_headers);
    buf_add(&scratch, body->p, body->len);
    emit(c, scratch.p, scratch.len);
}

static void respond_error(struct conn* c, int status, const char* message, const char* type, const char* extra_json,
                          const char* extra_headers) {
    work.len = 0;
    buf_str(&work, "{\"object\": \"error\", \"message\": ");
    buf_json_string(&work, (const unsigned char*)message, strlen(message));
    buf_fmt(&work, ", \"type\": \"%s\"%s, \"code\": %d}", type, extra_json, status);
    respond(c, status, &work, extra_headers);
}

// A request this fake cannot read: an error answer, then the connection is closed
static void refuse(struct conn* c, int status, const char* message) {
    respond_error(c, status, message, "BadRequestError", "", "connection: close\r\n");
    c->close_after = 1;
    c->in_off = c->in.len;  // whatever follows is not read
}

// -- answers --------------------------------------------------------------------------------------

static void usage_json(struct buf* b, const struct conn* c) {
    buf_fmt(b, "{\"prompt_tokens\": %ld, \"completion_tokens\": %ld, \"total_tokens\": %ld}", c->prompt_tokens,
            c->tokens, c->prompt_tokens + c->tokens);
}

// One SSE event, `data: ` + event + "\n\n", as a chunk of the chunked body
static void add_chunk(struct buf* b, const char* data, size_t len) {
    buf_fmt(b, "%zx\r\n", len);
    buf_add(b, data, len);
    buf_str(b, "\r\n");
}

static void add_event(struct buf* b, const struct conn* c, long token) {
    work.len = 0;
    buf_fmt(&work, "data: {\"id\": \"%s\", \"object\": \"%s\", \"created\": 0, \"model\": ", c->id,
            c->chat ? "chat.completion.chunk" : "text_completion");
    buf_add(&work, model_json.p, model_json.len);
    if (token < 0) {
        buf_str(&work, ", \"choices\": [], \"usage\": ");
        usage_json(&work, c);
        buf_str(&work, "}");
    } else if (c->chat) {
        buf_fmt(&work,
                ", \"choices\": [{\"index\": 0, \"delta\": {\"content\": \"tok%ld \"}, \"finish_reason\": null}]}",
                token);
    } else {
        buf_fmt(&work, ", \"choices\": [{\"index\": 0, \"text\": \"tok%ld \", \"finish_reason\": null}]}", token);
    }
    buf_str(&work, "\n\n");
    add_chunk(b, work.p, work.len);
}

// The stream's next send(): one piece, or with --coalesce the head and the first token's chunk
// together and the end (usage, [DONE], the last chunk) together
static void stream_next(struct conn* c) {
    scratch.len = 0;
    for (;;) {
        const long p = c->piece++;
        int last_of_send = 1;
        if (p == 0) {
            buf_str(&scratch,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
                    "server: fake-upstream\r\nx-fake: yes\r\n\r\n");
            last_of_send = !coalesce;
        } else if (p <= c->tokens) {
            add_event(&scratch, c, p - 1);
        } else if (p == c->tokens + 1) {
            if (c->usage) add_event(&scratch, c, -1);
            last_of_send = !coalesce;
        } else if (p == c->tokens + 2) {
            add_chunk(&scratch, "data: [DONE]\n\n", 14);
            last_of_send = !coalesce;
        } else {
            buf_str(&scratch, "0\r\n\r\n");
            c->streaming = 0;
        }
        // the usage piece sends nothing when not asked for (the Python fake writes nothing there)
        if (last_of_send && scratch.len > 0) break;
        if (!c->streaming) break;
    }
    emit(c, scratch.p, scratch.len);
}

static void completion(struct conn* c, int chat, const char* body, size_t body_len) {
    const char* end = body + body_len;
    const char* obj = skip_ws(body, end);
    if (obj == end) {
        body = obj = "{}";  // no body: an empty object, as in the Python fake
        end = body + 2;
    }
    const char* after = *obj == '{' ? skip_value(obj, end, 1) : NULL;
    if (!after || skip_ws(after, end) != end) {
        respond_error(c, 400, "invalid JSON body", "BadRequestError", "", "");
        return;
    }
    const char *v, *v_end;
    long n = default_tokens;
    if (member(obj, end, "max_tokens", &v, &v_end)) {
        // Python takes any int (true and false are 1 and 0); anything else, or a negative number,
        // is refused with its repr, approximated here from the JSON text
        int is_int = text_is(v, v_end, "true") || text_is(v, v_end, "false");
        if (is_int) {
            n = *v == 't';
        } else if (*v == '-' || (*v >= '0' && *v <= '9')) {
            is_int = 1;
            for (const char* d = v + (*v == '-'); d < v_end; d++) is_int &= *d >= '0' && *d <= '9';
            errno = 0;
            if (is_int) n = strtol(v, NULL, 10);
            if (errno == ERANGE) n = *v == '-' ? -1 : LONG_MAX;
        }
        if (!is_int || n < 0) {
            char message[160];
            const int shown = v_end - v > 64 ? 64 : (int)(v_end - v);
            if (text_is(v, v_end, "null")) {
                snprintf(message, sizeof message, "max_tokens must be at least 0, got None");
            } else if (*v == '"') {
                snprintf(message, sizeof message, "max_tokens must be at least 0, got '%.*s'", shown - 2, v + 1);
            } else {
                snprintf(message, sizeof message, "max_tokens must be at least 0, got %.*s", shown, v);
            }
            respond_error(c, 400, message, "BadRequestError", ", \"param\": \"max_tokens\"", "");
            return;
        }
    }
    const int stream = member(obj, end, "stream", &v, &v_end) && truthy(v, v_end);
    if (!stream && n > NONSTREAM_TOKENS_MAX) {
        respond_error(c, 400, "max_tokens is more than this fake answers in one body (100000)", "BadRequestError",
                      ", \"param\": \"max_tokens\"", "");
        return;
    }
    long prompt_len = 2;  // json.dumps("")
    if (member(obj, end, "messages", &v, &v_end) || member(obj, end, "prompt", &v, &v_end)) prompt_len = v_end - v;
    c->chat = chat;
    c->tokens = n;
    c->prompt_tokens = prompt_len / 4 > 1 ? prompt_len / 4 : 1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    snprintf(c->id, sizeof c->id, "cmpl-fake-%lld", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    if (stream) {
        const char *o, *o_end;
        c->usage = member(obj, end, "stream_options", &o, &o_end) && *o == '{' &&
                   member(o, o_end, "include_usage", &v, &v_end) && truthy(v, v_end);
        c->streaming = 1;
        c->piece = 0;
        return;  // sent piece by piece from serve()
    }
    work.len = 0;
    buf_fmt(&work, "{\"id\": \"%s\", \"object\": \"%s\", \"created\": %lld, \"model\": ", c->id,
            chat ? "chat.completion" : "text_completion", (long long)time(NULL));
    buf_add(&work, model_json.p, model_json.len);
    buf_str(&work, chat ? ", \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \""
                        : ", \"choices\": [{\"index\": 0, \"text\": \"");
    for (long i = 0; i < n; i++) buf_fmt(&work, i ? " tok%ld" : "tok%ld", i);
    buf_str(&work, chat ? "\"}, \"finish_reason\": \"length\"}], \"usage\": "
                        : "\", \"finish_reason\": \"length\"}], \"usage\": ");
    usage_json(&work, c);
    buf_str(&work, "}");
    respond(c, 200, &work, "");
}

static void route(struct conn* c, const char* method, size_t method_len, const char* target, size_t target_len,
                  const char* body, size_t body_len) {
    size_t path_len = 0;
    while (path_len < target_len && target[path_len] != '?' && target[path_len] != '#') path_len++;
    const int post = method_len == 4 && memcmp(method, "POST", 4) == 0;
#define PATH_IS(s) (path_len == sizeof(s) - 1 && memcmp(target, s, path_len) == 0)
    if (PATH_IS("/v1/models")) {
        work.len = 0;
        buf_str(&work, "{\"object\": \"list\", \"data\": [{\"id\": ");
        buf_add(&work, model_json.p, model_json.len);
        buf_str(&work, ", \"object\": \"model\", \"created\": 0, \"owned_by\": \"fake\"}]}");
        respond(c, 200, &work, "");
    } else if (post && PATH_IS("/v1/chat/completions")) {
        completion(c, 1, body, body_len);
    } else if (post && PATH_IS("/v1/completions")) {
        completion(c, 0, body, body_len);
    } else {
        respond_error(c, 404, "not found", "NotFoundError", "", "");
    }
#undef PATH_IS
}

static int header_is(const char* name, size_t len, const char* want) {
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

static void trim(const char** s, const char** e) {
    while (*s < *e && (**s == ' ' || **s == '\t')) (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

// The next request in the input, answered (or its stream begun): 1; not all there yet: 0
static int next_request(struct conn* c) {
    const char* s = c->in.p + c->in_off;
    const size_t avail = c->in.len - c->in_off;
    const char* head_end = memmem(s, avail, "\r\n\r\n", 4);
    if (!head_end) {
        if (avail > HEAD_MAX) refuse(c, 400, "request head too large");
        return c->close_after;
    }
    const size_t head_len = (size_t)(head_end - s) + 4;
    if (head_len > HEAD_MAX) {
        refuse(c, 400, "request head too large");
        return 1;
    }
    // the request line: METHOD SP TARGET SP VERSION
    const char* line_end = memmem(s, head_len, "\r\n", 2);
    const char* sp1 = memchr(s, ' ', (size_t)(line_end - s));
    const char* sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == s) {
        refuse(c, 400, "bad request line");
        return 1;
    }
    // the headers that matter here; of two equal ones the last counts, as in the Python fake
    long long content_length = 0;
    int chunked = 0, has_length = 0, keep = 1;
    for (const char* line = line_end + 2; line < head_end + 2;) {
        const char* eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
        const char* colon = memchr(line, ':', (size_t)(eol - line));
        const char *name = line, *name_end = colon ? colon : eol, *value = colon ? colon + 1 : eol, *value_end = eol;
        trim(&name, &name_end);
        trim(&value, &value_end);
        const size_t name_len = (size_t)(name_end - name), value_len = (size_t)(value_end - value);
        if (header_is(name, name_len, "content-length")) {
            has_length = 1;
            content_length = value_len ? 0 : -1;
            for (const char* d = value; d < value_end; d++) {
                if (*d < '0' || *d > '9') {
                    content_length = -1;
                    break;
                }
                if (content_length <= BODY_MAX) content_length = content_length * 10 + (*d - '0');  // no overflow
            }
        } else if (header_is(name, name_len, "transfer-encoding")) {
            chunked = header_is(value, value_len, "chunked");
        } else if (header_is(name, name_len, "connection")) {
            keep = !header_is(value, value_len, "close");
        }
        line = eol + 2;
    }
    if (has_length && content_length < 0) {
        refuse(c, 400, "bad content-length");
        return 1;
    }
    if (content_length > BODY_MAX) {
        refuse(c, 413, "request body too large");
        return 1;
    }
    if (!has_length && chunked) {
        refuse(c, 400, "chunked request bodies are not supported by this fake");
        return 1;
    }
    if (avail < head_len + (size_t)content_length) return 0;
    c->in_off += head_len + (size_t)content_length;
    route(c, s, (size_t)(sp1 - s), sp1 + 1, (size_t)(sp2 - sp1 - 1), s + head_len, (size_t)content_length);
    if (!keep) c->close_after = 1;
    return 1;
}

// Everything that can be done on c now: the stream under way, then the requests read, in order,
// each only once the answer before it is out
static void serve(struct conn* c) {
    while (!c->dead && !pending(c)) {
        if (c->streaming) {
            stream_next(c);
        } else if (c->close_after) {
            conn_close(c);
        } else if (!next_request(c)) {
            break;
        }
    }
    if (c->dead || pending(c) || c->streaming) return;
    if (c->eof) {
        conn_close(c);  // the client is done (a request it left cut is dropped, as in the Python fake)
        return;
    }
    if (c->in_off == c->in.len) c->in.len = c->in_off = 0;
}

static void read_some(struct conn* c) {
    if (c->in_off > 0) {  // what is left of the input to the front
        memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    if (buf_room(&c->in, READ_CHUNK, HEAD_MAX + BODY_MAX + READ_CHUNK) < 0) {
        conn_close(c);
        return;
    }
    ssize_t n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
    if (n > 0) {
        c->in.len += (size_t)n;
    } else if (n == 0) {
        c->eof = 1;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        conn_close(c);
    }
}

static void accept_all(int ls) {
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;  // none left, or out of descriptors: those wait in the backlog
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as asyncio does
        struct conn* c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->events = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN, .data = {.ptr = c}};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            free(c);
        }
    }
}

static int usage_exit(const char* why) {
    if (why) fprintf(stderr, "fake_upstream: %s\n", why);
    fprintf(stderr,
            "usage: fake_upstream [--host 127.0.0.1] [--port 0] [--tokens 20] [--model fake-model] [--coalesce]\n");
    return 2;
}

int main(int argc, char** argv) {
    const char *host = "127.0.0.1", *port = "0", *model = "fake-model";
    for (int i = 1; i < argc; i++) {
        const char* opt = argv[i];
        if (strcmp(opt, "--coalesce") == 0) {
            coalesce = 1;
            continue;
        }
        if (i + 1 >= argc) return usage_exit(opt[0] == '-' ? "an option without its value" : "unexpected argument");
        const char* value = argv[++i];
        char* end;
        if (strcmp(opt, "--host") == 0) {
            host = value;
        } else if (strcmp(opt, "--port") == 0) {
            port = value;
            long p = strtol(value, &end, 10);
            if (*value == '\0' || *end != '\0' || p < 0 || p > 65535) return usage_exit("--port: 0 to 65535");
        } else if (strcmp(opt, "--tokens") == 0) {
            default_tokens = strtol(value, &end, 10);
            if (*value == '\0' || *end != '\0' || default_tokens < 0) return usage_exit("--tokens: a whole number");
        } else if (strcmp(opt, "--model") == 0) {
            model = value;
        } else {
            return usage_exit("unknown option");
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    buf_json_string(&model_json, (const unsigned char*)model, strlen(model));

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "fake_upstream: %s: %s\n", host, gai_strerror(rc));
        return 1;
    }
    int ls = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, ai->ai_addr, ai->ai_addrlen) < 0 || listen(ls, 4096) < 0) {
        perror("fake_upstream: listen");
        return 1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    getsockname(ls, (struct sockaddr*)&bound, &bound_len);
    const int bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6*)&bound)->sin6_port
                                                             : ((struct sockaddr_in*)&bound)->sin_port);

    ep = epoll_create1(EPOLL_CLOEXEC);
    static struct conn listener;
    listener.fd = ls;
    struct epoll_event lev = {.events = EPOLLIN, .data = {.ptr = &listener}};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    printf("READY %d\n", bound_port);
    fflush(stdout);

    struct epoll_event evs[512];
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1);
        if (n < 0 && errno != EINTR) {
            perror("fake_upstream: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn* c = evs[i].data.ptr;
            if (c == &listener) {
                accept_all(ls);
                continue;
            }
            if (c->dead) continue;
            const uint32_t e = evs[i].events;
            if (e & (EPOLLERR | EPOLLHUP)) {  // reset, or both ways shut: nothing more can be sent
                conn_close(c);
                continue;
            }
            if (e & EPOLLOUT) flush(c);
            else if (e & EPOLLIN) read_some(c);
            if (!c->dead && !pending(c)) serve(c);
        }
        while (dead_list) {
            struct conn* c = dead_list;
            dead_list = c->next_dead;
            free(c->in.p);
            free(c->out.p);
            free(c);
        }
    }
}
