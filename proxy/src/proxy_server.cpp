// SPDX-License-Identifier: MIT
#include "proxy_server.hpp"

#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "event_loop.hpp"
#include "sysinfo.hpp"

namespace mgpux_proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using net::IoCallback;

namespace {

// Timings of the proxy's contract (templates/serve/README.md).
constexpr double kRetryBackoff[] = {0.25, 0.5, 1.0, 2.0};  // s before each retry
constexpr int kRetries = 4;
constexpr int kRetryAfter429 = 1;
constexpr int kRetryAfterUnavailable = 5;
constexpr auto kConnectTimeout = std::chrono::seconds(15);
constexpr auto kHealthTimeout = std::chrono::seconds(3);
constexpr auto kHealthFresh = std::chrono::seconds(1);
constexpr auto kHealthWait = std::chrono::milliseconds(200);
constexpr auto kStatsProbeWait = std::chrono::milliseconds(3500);
constexpr std::uint64_t kMaxAnswerBody = 1ull << 32;  // an upstream answer: effectively unlimited
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxBufferedWhileBusy = 1 << 20;  // pipelined bytes kept for later
constexpr std::size_t kUsageTail = 64 * 1024;
constexpr std::size_t kMaxIdleUpstream = 512;
constexpr std::size_t kMaxSpareChunks = 64;  // read buffers a loop keeps for its next requests
constexpr int kMaxSyncDepth = 4;             // nested writes completed on the spot before one goes through the loop
constexpr auto kFreshIdleUpstream = std::chrono::seconds(1);  // pooled this recently: used unchecked
constexpr auto kKeyReuse = std::chrono::seconds(1);  // a connection's key accepted this recently: not hashed again
constexpr auto kQuietRelease = std::chrono::milliseconds(2000);  // no request for this long: memory goes back

// Boost 1.74's beast::string_view does not convert to std::string_view; 1.81's does.
template <class S>
std::string_view sv(const S& s) {
    return std::string_view(s.data(), s.size());
}

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

const char* kJsonType = "content-type: application/json\r\n";

const char* kOpenApi =
    R"J({"openapi": "3.0.2", "info": {"title": "m-gpux LLM API", "version": "1"}, )J"
    R"J("components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}, )J"
    R"J("security": [{"bearer": []}], "paths": {)J"
    R"J("/health": {"get": {"summary": "Liveness and upstream readiness (no key needed)", "security": [], "responses": {"200": {"description": "status"}}}}, )J"
    R"J("/stats": {"get": {"summary": "Traffic counters, latency percentiles, system information", "responses": {"200": {"description": "metrics"}}}}, )J"
    R"J("/v1/models": {"get": {"summary": "Models served", "responses": {"200": {"description": "model list"}}}}, )J"
    R"J("/v1/chat/completions": {"post": {"summary": "OpenAI chat completions (proxied)", "responses": {"200": {"description": "completion"}}}}, )J"
    R"J("/v1/completions": {"post": {"summary": "OpenAI completions (proxied)", "responses": {"200": {"description": "completion"}}}}}})J";

const char* kDocsHtml =
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>m-gpux LLM API</title></head>\n"
    "<body><h1>m-gpux LLM API</h1>\n"
    "<p>OpenAI-compatible endpoints under <code>/v1/</code>; send <code>Authorization: Bearer &lt;key&gt;</code>.\n"
    "<code>/health</code> needs no key. The schema is at <a href=\"/openapi.json\">/openapi.json</a>.</p>\n"
    "</body></html>\n";

std::string body_too_large(std::uint64_t limit) {
    return error_body("Request body too large: the limit is " + std::to_string(limit) + " bytes.",
                      "invalid_request_error", "request_too_large");
}

// Appends the status line to `out`.
void append_status_line(std::string& out, int status, std::string_view reason = {}) {
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += reason.empty() ? std::string_view(reason_phrase(status)) : reason;
    out += "\r\n";
}

std::string status_line(int status, std::string_view reason = {}) {
    std::string s;
    append_status_line(s, status, reason);
    return s;
}

}  // namespace

// ---------------------------------------------------------------- deadlines

// A deadline that moves without touching the loop's timers. Setting it only stores a time; the
// one timer behind it is rescheduled only when the deadline moves earlier than the pending one.
// When the timer ends early (the deadline moved later meanwhile), it waits again for the rest. So
// a connection that pushes its deadline forward on every read and write costs one timer per
// timeout period instead of one per operation.
class Deadline {
public:
    Deadline(net::Loop& loop, std::function<void()> on_expiry)
        : loop_(loop), timer_(loop), on_expiry_(std::move(on_expiry)) {}
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    void after(Clock::duration d) { at(loop_.now() + d); }
    void at(Clock::time_point t) {
        deadline_ = t;
        if (t < scheduled_) schedule(t);
    }
    // No deadline: a pending timer is left to end on its own and finds nothing to do.
    void clear() { deadline_ = Clock::time_point::max(); }

private:
    void schedule(Clock::time_point t) {
        scheduled_ = t;
        timer_.expires_at(t);  // drops the pending one
        timer_.async_wait([this] { fired(); });
    }
    void fired() {
        scheduled_ = Clock::time_point::max();
        if (deadline_ == Clock::time_point::max()) return;
        if (loop_.now() < deadline_) return schedule(deadline_);
        deadline_ = Clock::time_point::max();
        on_expiry_();  // last: it may end the owner
    }

    net::Loop& loop_;
    net::Timer timer_;  // dropped with the deadline
    std::function<void()> on_expiry_;
    Clock::time_point deadline_ = Clock::time_point::max();
    Clock::time_point scheduled_ = Clock::time_point::max();  // the pending timer's end; max: none
};

// ---------------------------------------------------------------- upstream connections

// A connection to the upstream: plain TCP, or TLS over it for an https:// upstream. One deadline
// bounds the connection's current step (connect, TLS handshake, write, the wait for the next
// byte): when it passes, the socket is closed, the pending operation ends (operation_aborted),
// and timed_out() says why.
class UpstreamStream {
public:
    UpstreamStream(net::Loop& loop, const net::TlsContext* tls)
        : sock_(loop), tls_(tls), deadline_(loop, [this] { expire(); }) {}

    net::Socket& socket() { return sock_; }
    // Bytes read from the connection and not yet parsed; kept with it, so a pooled connection
    // brings its (already grown) buffer to the next request.
    beast::flat_buffer buf;
    Clock::time_point idle_since;  // when it was last put in the pool

    void expire_after(Clock::duration d) { deadline_.after(d); }
    void expire_never() { deadline_.clear(); }
    bool timed_out() const { return timed_out_; }

    // Reads what comes next into `buf`'s free space (at most `n` bytes), for `cb`.
    void read_into_buf(std::size_t n, IoCallback cb) {
        auto b = buf.prepare(n);
        sock_.async_read_some(b.data(), b.size(), std::move(cb));
    }

    // Plain TCP only: writes what the socket takes now, without waiting (0 for TLS).
    std::size_t write_now(asio::const_buffer b) {
        if (tls_) return 0;
        iovec v{const_cast<void*>(b.data()), b.size()};
        error_code ec;
        const std::size_t n = sock_.write_some(&v, 1, ec);
        return ec ? 0 : n;
    }
    void async_write(asio::const_buffer b, IoCallback cb) {
        iovec v{const_cast<void*>(b.data()), b.size()};
        sock_.async_write(&v, 1, std::move(cb));
    }
    void async_connect(const std::vector<net::Endpoint>& eps, IoCallback cb) {
        sock_.async_connect(eps, std::move(cb));
    }

    // The TLS handshake for `host` (sent as SNI unless it is an address; the certificate's name is
    // checked against it unless --upstream-insecure). A plain connection completes at once.
    void async_handshake(const std::string& host, IoCallback cb) {
        if (!tls_) return sock_.loop().complete_later(std::move(cb), {}, 0);
        sock_.async_handshake(*tls_, host, std::move(cb));
    }

    // No TLS close_notify: the connection is dropped, as an HTTP client may.
    void close() {
        sock_.shutdown();
        sock_.close();
        deadline_.clear();
    }

    // The deadline passed: the pending operation ends (operation_aborted), seen as a timeout.
    void expire() {
        timed_out_ = true;
        sock_.close();
    }

private:
    net::Socket sock_;
    const net::TlsContext* tls_;
    Deadline deadline_;
    bool timed_out_ = false;
};

// ---------------------------------------------------------------- shared state

struct Worker {
    // Read buffers of finished requests, kept for the next ones (declared before the loop, so
    // they outlive the requests its pending handlers still hold when it is destroyed): a request
    // reuses a buffer still warm in the cache instead of allocating kReadChunk bytes afresh.
    std::vector<std::unique_ptr<char[]>> spare_chunks;
    std::atomic<std::thread::id> thread_id{};  // the thread that runs this loop

    std::unique_ptr<char[]> take_chunk() {
        if (spare_chunks.empty()) return std::unique_ptr<char[]>(new char[kReadChunk]);
        auto c = std::move(spare_chunks.back());
        spare_chunks.pop_back();
        return c;
    }
    void give_back(std::unique_ptr<char[]> c) {
        if (c && spare_chunks.size() < kMaxSpareChunks && std::this_thread::get_id() == thread_id)
            spare_chunks.push_back(std::move(c));
    }

    // Only this loop's thread touches its sockets and timers (an accepted socket is handed over
    // by a post, and other threads only post to it).
    net::Loop loop;
    // Idle keep-alive connections to the upstream, used only by this loop's requests.
    std::vector<std::shared_ptr<UpstreamStream>> idle;
    // While this loop waits for a quiet moment to give memory back (Shared::release_when_quiet):
    // its timer, the requests admitted when the quiet began, and the ticks it has lasted.
    net::Timer quiet{loop};
    bool quiet_armed = false;
    std::uint64_t quiet_seen = 0;
    int quiet_ticks = 0;
    std::thread thread;
};

struct Shared {
    Config cfg;
    std::shared_ptr<KeySet> keys;
    std::vector<net::Endpoint> upstream_endpoints;  // resolved at start; empty: resolve per connection
    std::unique_ptr<net::TlsContext> tls;           // for an https:// upstream only

    std::shared_ptr<UpstreamStream> new_upstream(net::Loop& loop) {
        return std::make_shared<UpstreamStream>(loop, tls.get());
    }
    Clock::time_point started = Clock::now();

    std::atomic<int> inflight{0};
    std::atomic<std::uint64_t> admitted{0};         // requests ever admitted: a quiet moment sees none added
    std::atomic<std::uint64_t> memory_releases{0};  // quiet moments that gave memory back
    std::atomic<std::uint64_t> gather_pauses{0};    // the loops' gathering pauses (Loop::set_gather)
    std::mutex stats_mu;
    Stats stats;

    // Upstream readiness: GET /v1/models answering 200, probed at most once at a time.
    struct ProbeWaiter {
        net::Loop* loop;
        std::shared_ptr<std::atomic<bool>> fired;
        std::function<void(std::string)> fn;
    };
    std::atomic<bool> ready{false};
    std::mutex probe_mu;
    bool probe_running = false;
    Clock::time_point probed_at{};
    std::vector<ProbeWaiter> probe_waiters;

    // Blocking work off the loops (freed before them, with what it holds): nvidia-smi and /proc
    // reads for /stats; resolving the upstream's name when it did not resolve at start.
    // Made after the stop signals are blocked (Server's constructor), as their threads inherit that.
    std::unique_ptr<asio::thread_pool> blocking, resolving;

    // Resolves the upstream's name off the loop, then `fn(endpoints)` on `loop` (none: it failed).
    void resolve_upstream(net::Loop& loop, std::function<void(std::vector<net::Endpoint>)> fn) {
        asio::post(*resolving, [this, &loop, fn = std::move(fn)] {
            std::string error;
            auto eps = net::resolve(cfg.upstream.host, cfg.upstream.port, false, error);
            loop.post([fn, eps = std::move(eps)] { fn(eps); });
        });
    }

    void log(int level, const std::string& message) const {
        if (level >= cfg.log_level) std::fprintf(stderr, "mgpux-proxy: %s\n", message.c_str());
    }

    void record(int status, double latency_ms, double ttfb_ms) {
        std::lock_guard<std::mutex> lock(stats_mu);
        stats.record(status, latency_ms, ttfb_ms);
    }

    // Admission: one more request in flight unless max_inflight already are.
    bool admit() {
        int cur = inflight.load(std::memory_order_relaxed);
        do {
            if (cur >= cfg.max_inflight) return false;
        } while (!inflight.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel));
        admitted.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(stats_mu);
        if (cur + 1 > stats.peak_inflight) stats.peak_inflight = cur + 1;
        return true;
    }

    // The end of an admitted request, on the loop `w` that ran it: its slot is free, and the last
    // one out starts the wait for a quiet moment.
    void leave(Worker& w) {
        if (inflight.fetch_sub(1, std::memory_order_acq_rel) == 1) release_when_quiet(w);
    }

    void probe_done(bool ok, std::string models);
    void release_when_quiet(Worker& w);
    void quiet_tick(Worker& w);
};

// After a burst the allocator keeps the memory it used, free but not returned, and the loop its
// spare read buffers: the proxy would stay at its peak. Called when a request ends with none
// left in flight: once kQuietRelease has passed with none in flight and none admitted (checked
// every quarter of it), the loop drops its spare buffers and those of its idle upstream
// connections, and the allocator hands its free pages back (malloc_trim). A request admitted
// meanwhile starts the count again; one in flight stops it until it ends. Under load it never
// runs.
void Shared::release_when_quiet(Worker& w) {
    if (w.quiet_armed) return;
    w.quiet_armed = true;
    w.quiet_seen = admitted.load(std::memory_order_relaxed);
    w.quiet_ticks = 0;
    quiet_tick(w);
}

void Shared::quiet_tick(Worker& w) {
    w.quiet.expires_after(kQuietRelease / 4);
    w.quiet.async_wait([this, &w] {
        if (inflight.load(std::memory_order_acquire) != 0) {
            w.quiet_armed = false;  // the request that ends it calls again
            return;
        }
        const auto seen = admitted.load(std::memory_order_relaxed);
        if (seen != w.quiet_seen) {
            w.quiet_seen = seen;
            w.quiet_ticks = 0;
        }
        if (++w.quiet_ticks < 4) return quiet_tick(w);
        w.quiet_armed = false;
        w.spare_chunks.clear();
        for (auto& up : w.idle) up->buf.shrink_to_fit();  // empty: a pooled one has nothing unread
        ::malloc_trim(0);
        memory_releases.fetch_add(1, std::memory_order_relaxed);
    });
}

void Shared::probe_done(bool ok, std::string models) {
    std::vector<ProbeWaiter> waiters;
    {
        std::lock_guard<std::mutex> lock(probe_mu);
        ready = ok;
        probed_at = Clock::now();
        probe_running = false;
        waiters.swap(probe_waiters);
    }
    for (auto& w : waiters)
        w.loop->post([w, models] {
            if (!w.fired->exchange(true)) w.fn(models);
        });
}

// ---------------------------------------------------------------- the readiness probe

// GET <upstream>/v1/models on a connection of its own, within kHealthTimeout.
class Probe : public std::enable_shared_from_this<Probe> {
public:
    Probe(Worker& w, Shared& sh) : w_(w), sh_(sh), up_(sh.new_upstream(w.loop)), stream_(*up_) {}

    void start() {
        stream_.expire_after(kHealthTimeout);
        if (!sh_.upstream_endpoints.empty()) return connect(sh_.upstream_endpoints);
        auto self = shared_from_this();
        sh_.resolve_upstream(w_.loop, [self](std::vector<net::Endpoint> eps) {
            if (eps.empty()) return self->finish(false, "{}");
            self->connect(eps);
        });
    }

private:
    void connect(const std::vector<net::Endpoint>& eps) {
        auto self = shared_from_this();
        stream_.async_connect(eps, IoCallback::of([self](error_code ec, std::size_t) {
                                  if (ec) return self->finish(false, "{}");
                                  self->stream_.async_handshake(self->sh_.cfg.upstream.host,
                                                                IoCallback::of([self](error_code ec1, std::size_t) {
                                                                    if (ec1) return self->finish(false, "{}");
                                                                    self->get_models();
                                                                }));
                              }));
    }

    void get_models() {
        auto self = shared_from_this();
        const auto& u = sh_.cfg.upstream;
        request_ = "GET " + u.base_path + "/v1/models HTTP/1.1\r\nhost: " + u.host_header +
                   "\r\naccept: application/json\r\nconnection: close\r\n\r\n";
        stream_.async_write(asio::buffer(request_), IoCallback::of([self](error_code ec, std::size_t) {
                                if (ec) return self->finish(false, "{}");
                                self->parser_.eager(true);
                                self->parser_.body_limit(8u << 20);
                                self->read_answer();
                            }));
    }

    // Parses what has been read; reads more until the answer is whole (or framed by the end of
    // the connection).
    void read_answer() {
        auto& buf = stream_.buf;
        while (buf.size() > 0 && !parser_.is_done()) {
            error_code ec;
            const std::size_t used = parser_.put(buf.data(), ec);
            buf.consume(used);
            if (ec == http::error::need_more || (!ec && used == 0)) break;
            if (ec) return finish(false, "{}");
        }
        if (parser_.is_done()) return answered();
        auto self = shared_from_this();
        stream_.read_into_buf(16 * 1024, IoCallback::of([self](error_code ec, std::size_t n) {
                                  self->stream_.buf.commit(n);
                                  if (ec == asio::error::eof) {
                                      error_code end;
                                      self->parser_.put_eof(end);
                                      if (!end && self->parser_.is_done()) return self->answered();
                                      return self->finish(false, "{}");
                                  }
                                  if (ec && n == 0) return self->finish(false, "{}");
                                  self->read_answer();
                              }));
    }

    void answered() {
        const auto& res = parser_.get();
        const bool ok = res.result_int() == 200;
        std::string models = "{}";
        if (ok) {
            const auto doc = parse_json(res.body());
            if (doc && doc->is_object()) models = res.body();
        }
        finish(ok, std::move(models));
    }

    void finish(bool ok, std::string models) {
        stream_.close();
        sh_.probe_done(ok, std::move(models));
    }

    Worker& w_;
    Shared& sh_;
    std::shared_ptr<UpstreamStream> up_;
    UpstreamStream& stream_;
    std::string request_;
    http::response_parser<http::string_body> parser_;
};

// Calls `fn(models)` on `w`'s loop when a probe ends, or with "{}" after `wait`. A new probe is
// started unless one is running (or, with `reuse_fresh`, the last one is younger than 1 s: then
// `fn` is called at once).
void await_probe(Worker& w, Shared& sh, Clock::duration wait, bool reuse_fresh, std::function<void(std::string)> fn) {
    auto fired = std::make_shared<std::atomic<bool>>(false);
    bool start = false;
    {
        std::lock_guard<std::mutex> lock(sh.probe_mu);
        if (reuse_fresh && !sh.probe_running && Clock::now() - sh.probed_at <= kHealthFresh) {
            w.loop.post([fn] { fn("{}"); });
            return;
        }
        sh.probe_waiters.push_back({&w.loop, fired, fn});
        if (!sh.probe_running) start = sh.probe_running = true;
    }
    if (start) std::make_shared<Probe>(w, sh)->start();
    auto timer = std::make_shared<net::Timer>(w.loop, wait);
    timer->async_wait([timer, fired, fn] {
        if (!fired->exchange(true)) fn("{}");
    });
}

// ---------------------------------------------------------------- a client connection

class Exchange;

class ClientConn : public std::enable_shared_from_this<ClientConn> {
public:
    ClientConn(net::Socket s, Worker& w, Shared& sh)
        : sock(std::move(s)), w(w), sh(sh), deadline_(w.loop, [this] { timed_out(); }) {}

    void start() {
        deadline_.after(seconds(sh.cfg.idle_timeout));
        parse();
    }

    // Queued writes, each one gather write of (head, body view, tail). `body` must stay valid
    // until `done` runs.
    void send(std::string head, asio::const_buffer body, std::string tail, IoCallback done) {
        out_.push_back(Out{std::move(head), body, std::move(tail), std::move(done)});
        if (!writing_) write_next();
    }

    // A whole response with a Content-Length (the body is not sent for HEAD).
    void respond(int status, std::string extra_headers, std::string body) {
        std::string head =
            status_line(status) + extra_headers + "content-length: " + std::to_string(body.size()) + "\r\n";
        if (!keep_alive_) head += "connection: close\r\n";
        head += "\r\n";
        if (head_request_) body.clear();
        auto self = shared_from_this();
        head += body;
        send(std::move(head), {}, {}, IoCallback::of([self](error_code ec, std::size_t) {
                 if (ec) return self->close();
                 self->finish_request();
             }));
    }

    void json_error(int status, const std::string& body, const std::string& extra = {}) {
        respond(status, kJsonType + extra, body);
    }

    // The request is answered: read the next one, or close.
    void finish_request();
    void close();

    net::Socket sock;
    Worker& w;
    Shared& sh;
    bool keep_alive_ = true;
    bool head_request_ = false;
    bool chunked_ok_ = true;  // HTTP/1.1 client
    std::shared_ptr<Exchange> exchange;

private:
    struct Out {
        std::string head;
        asio::const_buffer body;
        std::string tail;
        IoCallback done;
    };

    // A write usually fits the socket's buffer: it is made on the spot and its continuation runs
    // at once, without a trip through the loop's queue. Only what does not fit waits for room. A
    // chain of writes completed on the spot (pipelined requests answered one after another) goes
    // through the loop every few links, so the stack stays shallow.
    void write_next() {
        writing_ = true;
        Out& o = out_.front();
        std::array<iovec, 3> bufs{iovec{o.head.data(), o.head.size()},
                                  iovec{const_cast<void*>(o.body.data()), o.body.size()},
                                  iovec{o.tail.data(), o.tail.size()}};
        if (sync_depth_ < kMaxSyncDepth) {
            error_code ec;
            std::size_t n = sock.write_some(bufs.data(), 3, ec);
            if (ec && ec != asio::error::would_block) return written(ec);
            if (!ec && n == o.head.size() + o.body.size() + o.tail.size()) {
                ++sync_depth_;
                written({});
                --sync_depth_;
                return;
            }
            for (auto& b : bufs) {  // the rest, after what was written
                const std::size_t k = std::min(n, b.iov_len);
                b.iov_base = static_cast<char*>(b.iov_base) + k;
                b.iov_len -= k;
                n -= k;
            }
        }
        sock.async_write(bufs.data(), 3, IoCallback::to<ClientConn, &ClientConn::on_written>(shared_from_this()));
    }

    void on_written(error_code ec, std::size_t) { written(ec); }

    void written(error_code ec) {
        writing_ = false;
        auto done = std::move(out_.front().done);
        out_.pop_front();
        if (ec) {
            // the client is gone: fail every queued write too
            std::deque<Out> rest;
            rest.swap(out_);
            if (done) done(ec, 0);
            for (auto& o : rest)
                if (o.done) o.done(ec, 0);
            return;
        }
        if (done) done(ec, 0);
        if (!writing_ && !out_.empty()) write_next();
    }

    // The connection's one deadline, for the phase it is in (none while a request runs):
    // idle   no byte of a next request yet: closed after --idle-timeout;
    // head   a request's head has begun: closed unless it is whole --header-timeout after its
    //        first byte (a slow head is not given more time byte by byte);
    // body   its body is being read: 408 and closed after --idle-timeout without a byte.
    // The head and body deadlines are set only when the parser must wait for more bytes: a head
    // that came whole in one read never moves the deadline.
    enum class Phase { idle, head, body };

    void timed_out() {
        if (busy_ || closed_) return;
        if (phase_ != Phase::body) return close();
        keep_alive_ = false;
        busy_ = true;
        json_error(408, error_body("Request timeout: no byte of the request body for " +
                                       json_number(sh.cfg.idle_timeout, 3) + " s.",
                                   "invalid_request_error", "request_timeout"));
    }

    // The parser needs more bytes: the deadline of the phase it waits in.
    void wait_for_bytes() {
        if (phase_ == Phase::head) deadline_.at(head_started_ + seconds(sh.cfg.header_timeout));
        else if (phase_ == Phase::body) deadline_.after(seconds(sh.cfg.idle_timeout));
        read_more();
    }

    void read_more() {
        if (reading_ || closed_) return;
        reading_ = true;
        // Into a buffer of its own: `in_` may be consumed (and so rearranged) while this read is
        // outstanding, which would move the region a prepare() had handed out.
        sock.async_read_some(rbuf_.data(), rbuf_.size(),
                             IoCallback::to<ClientConn, &ClientConn::on_read>(shared_from_this()));
    }

    void on_read(error_code ec, std::size_t n) {
        reading_ = false;
        if (ec) return peer_gone();
        in_.commit(asio::buffer_copy(in_.prepare(n), asio::buffer(rbuf_.data(), n)));
        if (!busy_) return parse();
        // Busy: the read only watches for a hang-up; pipelined bytes wait for their turn.
        if (in_.size() < kMaxBufferedWhileBusy) read_more();
    }

    void parse();
    bool check_header();
    bool key_accepted(std::string_view token);
    static const char* malformed(const http::request<http::string_body>& req);
    bool refuse(int status, const std::string& body, const std::string& extra = {});
    void maybe_continue();
    void dispatch();
    void peer_gone();

    void route(http::request<http::string_body>& req);
    void health();
    void stats_doc();

    beast::flat_buffer in_;
    std::array<char, kReadChunk> rbuf_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::deque<Out> out_;
    bool writing_ = false;
    int sync_depth_ = 0;  // writes completed on the spot, nested
    Deadline deadline_;
    Clock::time_point head_started_;
    std::string accepted_key_;  // the key this connection sent last, accepted at accepted_at_
    Clock::time_point accepted_at_;
    bool reading_ = false, busy_ = false, closed_ = false, sent_continue_ = false, header_checked_ = false;
    Phase phase_ = Phase::idle;
};

// ---------------------------------------------------------------- one proxied request

class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(std::shared_ptr<ClientConn> conn, http::request<http::string_body>& req)
        : conn_(std::move(conn)),
          sh_(conn_->sh),
          w_(conn_->w),
          backoff_(w_.loop),
          start_(w_.loop.now()),
          read_timeout_(seconds(sh_.cfg.read_timeout)),
          chunk_(w_.take_chunk()) {
        const auto& u = sh_.cfg.upstream;
        head_method_ = req.method() == http::verb::head;
        want_usage_ = wants_stream_usage(req.body());
        // The upstream request, written once and sent again on a retry.
        request_.reserve(512 + req.body().size());
        request_ += sv(req.method_string());
        request_ += ' ';
        request_ += u.base_path;
        request_ += sv(req.target());
        request_ += " HTTP/1.1\r\nhost: ";
        request_ += u.host_header;
        request_ += "\r\n";
        // Hop-by-hop headers: the standard ones, and those the client's Connection header names.
        std::vector<std::string> named;
        for (const auto& f : req)
            if (f.name() == http::field::connection)
                for (auto& t : connection_tokens(sv(f.value()))) named.push_back(std::move(t));
        for (const auto& f : req) {
            const auto name = sv(f.name_string());
            if (drop_request_header(name)) continue;
            if (std::any_of(named.begin(), named.end(), [&](const std::string& n) { return iequals(n, name); }))
                continue;
            request_ += name;
            request_ += ": ";
            request_ += sv(f.value());
            request_ += "\r\n";
        }
        const auto m = req.method();
        if (!req.body().empty() || m == http::verb::post || m == http::verb::put || m == http::verb::patch) {
            request_ += "content-length: ";
            request_ += std::to_string(req.body().size());
            request_ += "\r\n";
        }
        request_ += "\r\n";
        request_ += req.body();
    }

    ~Exchange() { w_.give_back(std::move(chunk_)); }

    void begin() { attempt(); }

    // The client hung up (or a write to it failed): end the upstream request at once (vLLM aborts
    // the generation) and free the slot. The operations still pending end with an error or see
    // `gone_`, and stop there.
    void client_gone() {
        if (finished_) return;
        gone_ = finished_ = true;
        drop_upstream();
        backoff_.cancel();
        sh_.leave(w_);
        sh_.record(499, ms_between(start_, w_.loop.now()), ttfb_ ? ms_between(start_, *ttfb_) : -1);
        auto conn = std::move(conn_);
        conn->exchange.reset();
        conn->close();
    }

private:
    // -- upstream connection --------------------------------------------------------------
    void attempt() {
        if (gone_) return;  // the client left during the backoff
        while (!w_.idle.empty()) {
            auto s = std::move(w_.idle.back());
            w_.idle.pop_back();
            // A connection pooled moments ago is taken as it is: no upstream closes an idle
            // connection that soon (uvicorn's keep-alive lasts 5 s), and the check is a system
            // call on every request under load. An older one is checked first.
            if (w_.loop.now() - s->idle_since < kFreshIdleUpstream || alive(*s)) {
                up_ = std::move(s);
                return send_request();
            }
        }
        up_ = sh_.new_upstream(w_.loop);
        up_->expire_after(kConnectTimeout);
        auto self = shared_from_this();
        if (sh_.upstream_endpoints.empty()) {
            sh_.resolve_upstream(w_.loop, [self](std::vector<net::Endpoint> eps) {
                if (self->gone_) return;  // already ended
                if (eps.empty()) return self->retry_or_fail("ConnectError");
                self->connect(eps);
            });
            return;
        }
        connect(sh_.upstream_endpoints);
    }

    // A pooled connection the upstream has not closed meanwhile (nothing to read, no EOF).
    static bool alive(UpstreamStream& s) {
        char c;
        const ssize_t n = ::recv(s.socket().fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void connect(const std::vector<net::Endpoint>& eps) {
        auto self = shared_from_this();
        up_->async_connect(eps, IoCallback::of([self](error_code ec, std::size_t) {
                               if (self->gone_) return;  // already ended
                               ec = self->up_error(ec);
                               if (ec == beast::error::timeout)
                                   return self->fail(504, "Upstream timed out (ConnectTimeout).", "upstream_timeout");
                               if (ec) return self->retry_or_fail("ConnectError");
                               self->up_->socket().set_no_delay();
                               self->handshake();
                           }));
    }

    // TLS only. A refused certificate is not retried: it will not change within the backoff.
    void handshake() {
        auto self = shared_from_this();
        const auto& cfg = sh_.cfg;
        up_->async_handshake(
            cfg.upstream.host, IoCallback::of([self](error_code ec, std::size_t) {
                if (self->gone_) return;  // already ended
                ec = self->up_error(ec);
                if (ec == beast::error::timeout)
                    return self->fail(504, "Upstream timed out (TLS handshake).", "upstream_timeout");
                if (ec.category() == asio::error::get_ssl_category())
                    return self->fail(
                        502,
                        "Upstream TLS handshake failed: " + ec.message() +
                            " (a self-signed upstream needs its CA in SSL_CERT_FILE, or --upstream-insecure)",
                        "upstream_tls_error");
                if (ec) return self->retry_or_fail("ConnectError");
                self->send_request();
            }));
    }

    // The request usually fits the socket's buffer at once: then it is written on the spot, with
    // no deadline to set; only a rest that must wait for room gets the write timeout.
    void send_request() {
        const std::size_t sent = up_->write_now(asio::buffer(request_));
        if (sent == request_.size()) return read_head();
        auto self = shared_from_this();
        up_->expire_after(kConnectTimeout);
        up_->async_write(asio::buffer(request_) + sent, IoCallback::of([self](error_code ec, std::size_t) {
                             if (self->gone_) return;  // already ended
                             ec = self->up_error(ec);
                             if (ec == beast::error::timeout)
                                 return self->fail(504, "Upstream timed out (WriteTimeout).", "upstream_timeout");
                             if (ec) return self->retry_or_fail("WriteError");
                             self->read_head();
                         }));
    }

    void read_head() {
        parser_.emplace();
        parser_->body_limit(kMaxAnswerBody);
        parser_->header_limit(static_cast<std::uint32_t>(kHeaderLimit));
        if (head_method_) parser_->skip(true);
        up_->buf.clear();
        head_bytes();
    }

    // The answer's head: what has been read of it is parsed, more is read until it is whole. Read
    // straight from the connection like the body (read_body), and parsed in place.
    void head_bytes() {
        if (up_->buf.size() > 0) {
            error_code ec;
            up_->buf.consume(parser_->put(up_->buf.data(), ec));
            if (ec && ec != http::error::need_more) return head_failed(ec);  // header_limit, bad_field...
            if (parser_->is_header_done()) return on_head();
        }
        read_upstream(&Exchange::head_bytes, &Exchange::head_failed);
    }

    // Reads what the upstream sends next into its buffer, within the read timeout, then goes on
    // with `more`; an error that comes without a byte (the end of the connection, a timeout)
    // goes to `failed` (a byte-carrying read goes on: its error shows again on the next read).
    void read_upstream(void (Exchange::*more)(), void (Exchange::*failed)(error_code)) {
        up_->expire_after(read_timeout_);
        read_more_ = more;
        read_failed_ = failed;
        up_->read_into_buf(kReadChunk, IoCallback::to<Exchange, &Exchange::upstream_read>(shared_from_this()));
    }

    void upstream_read(error_code ec, std::size_t got) {
        if (gone_ || !up_) return;  // already ended (the connection was dropped with it)
        up_->buf.commit(got);
        if (!ec || got > 0) return (this->*read_more_)();
        (this->*read_failed_)(up_error(ec));
    }

    void head_failed(error_code ec) {
        if (ec == beast::error::timeout) return fail(504, "Upstream timed out (ReadTimeout).", "upstream_timeout");
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
            ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated)
            return retry_or_fail("RemoteProtocolError");  // nothing of an answer was seen
        fail(502, "Upstream error: " + ec.message(), "upstream_error");
    }

    // Nothing of an answer was seen: safe to send again, after a backoff.
    void retry_or_fail(const std::string& kind) {
        drop_upstream();
        if (attempt_ >= kRetries) {
            sh_.ready = false;
            return fail(503,
                        "Upstream not reachable after " + std::to_string(attempt_ + 1) + " attempts (" + kind +
                            "); the model may still be loading.",
                        "upstream_unavailable", "retry-after: " + std::to_string(kRetryAfterUnavailable) + "\r\n");
        }
        backoff_.expires_after(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(kRetryBackoff[attempt_])));
        ++attempt_;
        {
            std::lock_guard<std::mutex> lock(sh_.stats_mu);
            ++sh_.stats.retries;
        }
        auto self = shared_from_this();
        backoff_.async_wait([self] { self->attempt(); });
    }

    // -- the answer -------------------------------------------------------------------------
    void on_head() {
        sh_.ready = true;
        const auto& res = parser_->get();
        status_ = res.result_int();
        const auto ctype = res[http::field::content_type];
        stream_ = sv(ctype).substr(0, 17) == "text/event-stream";
        head_.reserve(512);
        append_status_line(head_, status_, sv(res.reason()));
        for (const auto& f : res) {
            const auto name = sv(f.name_string());
            // A HEAD answer has no body: its Content-Length is the upstream's, passed on.
            const bool head_length = head_method_ && iequals(name, "content-length");
            if (head_length) head_length_ = true;
            else if (drop_response_header(name)) continue;
            head_ += name;
            head_ += ": ";
            head_ += sv(f.value());
            head_ += "\r\n";
        }
        if (!conn_->keep_alive_) head_ += "connection: close\r\n";
        if (stream_) {
            {
                std::lock_guard<std::mutex> lock(sh_.stats_mu);
                ++sh_.stats.streams;
            }
            open_stream_.set(w_.loop);
            chunked_ = conn_->chunked_ok_;
            if (chunked_) head_ += "transfer-encoding: chunked\r\n";
            else conn_->keep_alive_ = false;  // an HTTP/1.0 client reads the stream to EOF
            head_ += "\r\n";
            json_ctype_ = false;
            // The status and headers go out at once, before the first token; pieces of the
            // stream that came in the same read as the head go out with them, in one write.
            if (up_->buf.size() > 0)
                if (const std::size_t n = take_buffered(0)) return body_piece(n, std::move(head_));
            return send_then(std::move(head_), {}, {}, [](Exchange& e) { e.read_body(); });
        }
        json_ctype_ = sv(ctype).substr(0, 16) == "application/json";
        read_body();
    }

    // The body is read straight from the connection and parsed here (take_buffered), a piece at
    // a time, so a stream's pieces can be relayed as they come.
    void read_body() {
        if (parser_->is_done()) return body_done();
        if (up_->buf.size() > 0) {
            const std::size_t n = take_buffered(0);
            if (n > 0 || parser_->is_done()) return body_piece(n);
            if (parse_error_) return body_failed(parse_error_, 0);
        }
        read_upstream(&Exchange::read_body, &Exchange::body_read_failed);
    }

    // The end of the connection ends an answer framed by it; anything else ends the answer here.
    void body_read_failed(error_code ec) {
        if (ec == asio::error::eof) ec = end_of_answer();
        if (ec) return body_failed(ec, 0);
        read_body();
    }

    // `n` bytes of the answer's body in chunk_; a stream's piece is relayed after `prefix` (the
    // answer's head, when the piece came with it).
    void body_piece(std::size_t n, std::string prefix = {}) {
        if (!stream_) {
            body_.append(chunk_.get(), n);
            return read_body();
        }
        if (n == 0) return read_body();
        n = take_buffered(n);
        if (!ttfb_) ttfb_ = w_.loop.now();
        if (want_usage_) {
            tail_.append(chunk_.get(), n);
            if (tail_.size() > 2 * kUsageTail) tail_.erase(0, tail_.size() - kUsageTail);
        }
        last_ends_event_ = n >= 2 && chunk_[n - 2] == '\n' && chunk_[n - 1] == '\n';
        const bool last = parser_->is_done();
        std::string tail = chunked_ ? "\r\n" : "";
        if (last && chunked_) tail += "0\r\n\r\n";
        send_then(
            prefix + chunk_header(n), asio::buffer(chunk_.get(), n), std::move(tail),
            last ? +[](Exchange& e) { e.stream_complete(); } : +[](Exchange& e) { e.read_body(); });
    }

    // A stream's pieces that were already read from the upstream (one read of the socket often
    // holds several of its chunks) join the piece in chunk_, up to its size: they go out in one
    // gathered write instead of one write each. Nothing waits for bytes still to come, so the
    // first token is not delayed. Returns the bytes now in chunk_.
    std::size_t take_buffered(std::size_t n) {
        auto& upbuf = up_->buf;
        while (n < kReadChunk && upbuf.size() > 0 && !parser_->is_done()) {
            auto& b = parser_->get().body();
            b.data = chunk_.get() + n;
            b.size = kReadChunk - n;
            b.more = true;
            error_code ec;
            const std::size_t used = parser_->put(upbuf.data(), ec);
            upbuf.consume(used);
            n = kReadChunk - b.size;
            // need_more: a chunk's framing is cut, more bytes will complete it
            if (ec && ec != http::error::need_buffer && ec != http::error::need_more) parse_error_ = ec;
            if ((ec && ec != http::error::need_buffer) || used == 0) break;
        }
        return n;
    }

    // The upstream closed the connection: the end of an answer framed by it, else a cut one.
    error_code end_of_answer() {
        error_code ec;
        parser_->put_eof(ec);
        if (!ec && !parser_->is_done()) ec = http::error::partial_message;
        return ec;
    }

    // The chunk-size line of chunked encoding (hex digits, CRLF); empty for a client that reads
    // the stream to EOF. Written by hand: this runs for every piece of every stream.
    std::string chunk_header(std::size_t n) const {
        if (!chunked_) return {};
        char buf[2 * sizeof n + 2];
        char* p = buf + sizeof buf;
        *--p = '\n';
        *--p = '\r';
        do {
            *--p = "0123456789abcdef"[n & 0xf];
            n >>= 4;
        } while (n);
        return std::string(p, buf + sizeof buf);
    }

    void body_done() {
        if (stream_) {
            // the stream ended on a piece with no data: only the last chunk is left
            return send_then(chunked_ ? "0\r\n\r\n" : "", {}, {}, [](Exchange& e) { e.stream_complete(); });
        }
        std::string head = std::move(head_);
        if (!head_length_) {
            head += "content-length: ";
            head += std::to_string(body_.size());
            head += "\r\n";
        }
        head += "\r\n";
        if (conn_->head_request_) body_.clear();
        pool_upstream();
        ttfb_ = w_.loop.now();
        // The token usage is counted once the answer is out, so the client does not wait for it.
        send_then(std::move(head), asio::buffer(body_), {}, [](Exchange& e) {
            e.count_answer_usage();
            e.complete();
        });
    }

    void count_answer_usage() {
        if (status_ != 200 || !json_ctype_ || body_.find("\"usage\"") == std::string::npos) return;
        std::lock_guard<std::mutex> lock(sh_.stats_mu);
        count_usage(sh_.stats, body_);
    }

    void stream_complete() {
        open_stream_.reset();
        pool_upstream();
        if (want_usage_) {
            std::lock_guard<std::mutex> lock(sh_.stats_mu);
            count_stream_usage(sh_.stats, tail_);
        }
        complete();
    }

    void body_failed(error_code ec, std::size_t n) {
        drop_upstream();
        if (!stream_) {
            if (ec == beast::error::timeout) return fail(504, "Upstream timed out (ReadTimeout).", "upstream_timeout");
            return fail(502, "Upstream answer interrupted: " + ec.message(), "upstream_interrupted");
        }
        // Bytes already reached the client: never retried; the stream is closed cleanly with an
        // error event, so the client's SSE reader sees why it ended.
        {
            std::lock_guard<std::mutex> lock(sh_.stats_mu);
            ++sh_.stats.streams_interrupted;
        }
        status_ = 502;
        std::string data(chunk_.get(), n);
        if (n) last_ends_event_ = data.size() >= 2 && data.compare(data.size() - 2, 2, "\n\n") == 0;
        const std::string kind = ec == beast::error::timeout ? "ReadTimeout" : "RemoteProtocolError";
        std::string event = data + (last_ends_event_ ? "" : "\n\n") + "data: " +
                            error_body("Stream interrupted: upstream " + kind + " (" + ec.message() + ")",
                                       "server_error", "stream_interrupted") +
                            "\n\ndata: [DONE]\n\n";
        interrupted_tail_ = std::move(event);
        std::string tail = chunked_ ? "\r\n0\r\n\r\n" : "";
        if (want_usage_) tail_ += interrupted_tail_;
        send_then(chunk_header(interrupted_tail_.size()), asio::buffer(interrupted_tail_), std::move(tail),
                  [](Exchange& e) { e.stream_complete(); });
    }

    // An error answer before anything reached the client.
    void fail(int status, const std::string& message, const std::string& code, const std::string& extra = {}) {
        drop_upstream();
        status_ = status;
        ttfb_ = w_.loop.now();
        std::string body = error_body(message, "server_error", code);
        std::string head = status_line(status) + kJsonType + extra + "content-length: " + std::to_string(body.size()) +
                           "\r\n" + (conn_->keep_alive_ ? "" : "connection: close\r\n") + "\r\n";
        if (conn_->head_request_) body.clear();
        body_ = std::move(body);
        send_then(std::move(head), asio::buffer(body_), {}, [](Exchange& e) { e.complete(); });
    }

    // Writes to the client, then goes on with `next`; a client that is gone ends the request.
    // `body` must stay valid until then (it points into this exchange). One write at a time: the
    // next step is kept here, so the completion holds only the exchange and fits in the
    // std::function without an allocation (this runs for every piece of every stream).
    using Step = void (*)(Exchange&);
    void send_then(std::string head, asio::const_buffer body, std::string tail, Step next) {
        next_ = next;
        conn_->send(std::move(head), body, std::move(tail),
                    IoCallback::to<Exchange, &Exchange::sent>(shared_from_this()));
    }

    void sent(error_code ec, std::size_t) {
        if (ec || gone_) return client_gone();
        next_(*this);
    }

    // -- the end ----------------------------------------------------------------------------
    void pool_upstream() {
        if (up_ && parser_ && parser_->is_done() && parser_->keep_alive() && up_->buf.size() == 0 &&
            w_.idle.size() < kMaxIdleUpstream) {
            up_->expire_never();
            up_->idle_since = w_.loop.now();
            w_.idle.push_back(std::move(up_));
        }
        up_.reset();
    }

    // An upstream operation's error, or a timeout when the connection's deadline ended it.
    error_code up_error(error_code ec) const {
        if (ec && up_ && up_->timed_out()) return beast::error::timeout;
        return ec;
    }

    void drop_upstream() {
        if (up_) up_->close();
        up_.reset();
    }

    // The last byte is out: the slot is free before anything else happens.
    void complete() {
        if (finished_) return;
        finished_ = true;
        const auto end = w_.loop.now();
        sh_.leave(w_);
        sh_.record(status_, ms_between(start_, end), ttfb_ ? ms_between(start_, *ttfb_) : -1);
        auto conn = std::move(conn_);
        conn->exchange.reset();
        conn->finish_request();
    }

    std::shared_ptr<ClientConn> conn_;
    Shared& sh_;
    Worker& w_;
    net::Timer backoff_;
    Clock::time_point start_;
    Clock::duration read_timeout_;  // between two bytes of an answer
    std::optional<Clock::time_point> ttfb_;
    std::string request_;
    std::shared_ptr<UpstreamStream> up_;
    std::optional<http::response_parser<http::buffer_body>> parser_;
    std::unique_ptr<char[]> chunk_;  // kReadChunk bytes: the answer's body, a piece at a time
    std::string head_, body_, tail_, interrupted_tail_;
    int status_ = 502;
    int attempt_ = 0;
    bool head_method_ = false, want_usage_ = false, stream_ = false, chunked_ = true, json_ctype_ = false;
    net::StreamCount open_stream_;  // while this answer is streamed (the loop's gathering)
    bool last_ends_event_ = true;
    error_code parse_error_;                   // the answer's body could not be parsed
    void (*next_)(Exchange&) = nullptr;        // what follows the write in flight (send_then)
    void (Exchange::*read_more_)() = nullptr;  // what follows the upstream read in flight
    void (Exchange::*read_failed_)(error_code) = nullptr;
    bool head_length_ = false;  // a HEAD answer's Content-Length was relayed
    bool gone_ = false, finished_ = false;
};

// ---------------------------------------------------------------- ClientConn, continued

void ClientConn::parse() {
    while (!closed_) {
        if (!parser_) {
            parser_.emplace();
            // The parser stops after the head: the request is judged on it (check_header) before
            // any of its body is read, and only then gets the body limit (a Content-Length over
            // the limit is answered by check_header, after authentication).
            parser_->eager(false);
            parser_->body_limit(boost::none);
            parser_->header_limit(static_cast<std::uint32_t>(kHeaderLimit));
            sent_continue_ = header_checked_ = false;
        }
        if (in_.size() == 0) {
            maybe_continue();
            return wait_for_bytes();
        }
        if (phase_ == Phase::idle) {  // the first byte of a request
            phase_ = Phase::head;
            head_started_ = w.loop.now();
        }
        error_code ec;
        const std::size_t used = parser_->put(in_.data(), ec);
        in_.consume(used);
        if (ec == http::error::need_more || (!ec && used == 0 && !parser_->is_done())) {
            maybe_continue();
            return wait_for_bytes();
        }
        if (ec) {
            keep_alive_ = false;
            busy_ = true;
            if (ec == http::error::body_limit) return json_error(413, body_too_large(sh.cfg.max_body));
            const int status = ec == http::error::header_limit ? 431 : 400;
            return json_error(status, error_body("Bad request: " + ec.message(), "invalid_request_error"));
        }
        if (parser_->is_header_done() && !header_checked_) {
            header_checked_ = true;
            if (!check_header()) return;
            parser_->body_limit(sh.cfg.max_body);  // bounds the running size of a chunked body
            parser_->eager(true);
            if (!parser_->is_done()) phase_ = Phase::body;
        }
        if (parser_->is_done()) return dispatch();
    }
}

// Why a request's head is refused with 400, or null when it is well formed.
const char* ClientConn::malformed(const http::request<http::string_body>& req) {
    if (!upper_case_method(sv(req.method_string()))) return "the method must be in upper case (GET, POST, ...)";
    const auto te = req.equal_range(http::field::transfer_encoding);
    if (te.first != te.second) {
        std::string codings;
        for (auto it = te.first; it != te.second; ++it) {
            codings += sv(it->value());
            codings += ',';
        }
        if (!only_chunked(codings)) return "Transfer-Encoding must be exactly 'chunked'";
    }
    const std::size_t hosts = req.count(http::field::host);
    if (hosts > 1 || (hosts == 0 && req.version() >= 11)) return "an HTTP/1.1 request needs exactly one Host header";
    return nullptr;
}

// An answer decided on the head alone. A body still to come is neither read nor drained: the
// connection closes after the answer. Returns false, for check_header.
bool ClientConn::refuse(int status, const std::string& body, const std::string& extra) {
    if (!parser_->is_done()) keep_alive_ = false;
    busy_ = true;
    deadline_.clear();
    json_error(status, body, extra);
    return false;
}

// The head of a request is in, its body (if any) not yet read: everything that does not need the
// body is decided here (authentication, unknown routes and methods, a declared body over
// --max-body). Returns false when the request was answered.
bool ClientConn::check_header() {
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_request_ = req.method() == http::verb::head;
    // Its form first. A request that cannot be framed or is malformed is never served, and its
    // connection is closed: the next request could not be found safely after it.
    if (const char* bad = malformed(req)) {
        keep_alive_ = false;
        return refuse(400, error_body(std::string("Bad request: ") + bad + ".", "invalid_request_error"));
    }
    const std::string_view target = sv(req.target());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
    if (path == "/health") {
        if (!get) return refuse(405, error_body("Method not allowed.", "invalid_request_error"));
    } else if (!(sh.cfg.docs && get && (path == "/docs" || path == "/openapi.json"))) {
        const std::string_view token = bearer_token(sv(req[http::field::authorization]));
        if (token.empty())
            return refuse(401,
                          error_body("Missing API key: send the header 'Authorization: Bearer <key>'.", "auth_error",
                                     "missing_api_key"),
                          "www-authenticate: Bearer\r\n");
        if (!key_accepted(token)) {
            {
                std::lock_guard<std::mutex> lock(sh.stats_mu);
                ++sh.stats.rejected_auth;
            }
            return refuse(403, error_body("Invalid API key.", "auth_error", "invalid_api_key"));
        }
        if (path == "/stats") {
            if (!get) return refuse(405, error_body("Method not allowed.", "invalid_request_error"));
        } else if (path.substr(0, 4) != "/v1/") {
            return refuse(404, error_body("Not found: " + std::string(path), "invalid_request_error", "not_found"));
        }
    }
    const auto length = parser_->content_length();
    if (length && *length > sh.cfg.max_body) return refuse(413, body_too_large(sh.cfg.max_body));
    return true;
}

// Whether `token` is a key the proxy accepts. The key a connection sent last, if accepted less
// than a second ago, is taken again without hashing it (a client sends the same key on every
// request of its connection); the comparison with it is in constant time like the digests', and
// after a second the key set is asked again, so a revoked key stops working as promptly as before.
bool ClientConn::key_accepted(std::string_view token) {
    const auto now = w.loop.now();
    if (!accepted_key_.empty() && now - accepted_at_ < kKeyReuse && constant_time_equal(token, accepted_key_))
        return true;
    if (!sh.keys->accepts(token)) return false;
    accepted_key_ = token;
    accepted_at_ = now;
    return true;
}

// `Expect: 100-continue`: the client waits for this before sending a large body.
void ClientConn::maybe_continue() {
    if (sent_continue_ || !parser_ || !parser_->is_header_done() || parser_->is_done()) return;
    const auto expect = parser_->get()[http::field::expect];
    if (!iequals(sv(expect), "100-continue")) return;
    sent_continue_ = true;
    send("HTTP/1.1 100 Continue\r\n\r\n", {}, {}, {});
}

void ClientConn::dispatch() {
    busy_ = true;
    deadline_.clear();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_request_ = req.method() == http::verb::head;
    chunked_ok_ = req.version() >= 11;
    route(req);
    // Watches for the client hanging up while the request runs. Started after routing, so that a
    // proxied request is on its way upstream first; the request's last read usually drained the
    // socket, so this one then waits for an event without a system call.
    read_more();
}

// A whole request that check_header let through: /health, the docs, /stats or a /v1/ path.
void ClientConn::route(http::request<http::string_body>& req) {
    const std::string_view target = sv(req.target());
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/health") return health();
    if (path == "/openapi.json") return json_error(200, kOpenApi);
    if (path == "/docs") return respond(200, "content-type: text/html; charset=utf-8\r\n", kDocsHtml);
    if (path == "/stats") return stats_doc();
    if (!sh.admit()) {
        {
            std::lock_guard<std::mutex> lock(sh.stats_mu);
            ++sh.stats.rejected_429;
            sh.stats.record(429);
        }
        const int cur = sh.inflight.load();
        return json_error(429,
                          error_body("Too many concurrent requests (" + std::to_string(cur) + "/" +
                                         std::to_string(sh.cfg.max_inflight) + "); retry in " +
                                         std::to_string(kRetryAfter429) + " s.",
                                     "rate_limit_error", "too_many_requests"),
                          "retry-after: " + std::to_string(kRetryAfter429) + "\r\n");
    }
    exchange = std::make_shared<Exchange>(shared_from_this(), req);
    exchange->begin();
}

void ClientConn::health() {
    auto self = shared_from_this();
    auto answer = [self](std::string) {
        if (self->closed_) return;
        const bool ready = self->sh.ready.load();
        const std::string r = ready ? "true" : "false";
        self->json_error(200, std::string("{\"status\": \"") + (ready ? "ok" : "loading") +
                                  "\", \"upstream_ready\": " + r + ", \"vllm_ready\": " + r +
                                  ", \"inflight_requests\": " + std::to_string(self->sh.inflight.load()) +
                                  ", \"max_inflight\": " + std::to_string(self->sh.cfg.max_inflight) + "}");
    };
    // A fresh probe result is used as it is; otherwise a probe gets 0.2 s to say more.
    await_probe(w, sh, kHealthWait, true, answer);
}

void ClientConn::stats_doc() {
    auto self = shared_from_this();
    await_probe(w, sh, kStatsProbeWait, false, [self](std::string models) {
        if (self->closed_) return;
        asio::post(*self->sh.blocking, [self, models] {
            std::string sys = ", \"gpus\": " + gpus_json() + ", \"cpu\": " + cpu_json() + ", \"ram\": " + ram_json() +
                              ", \"disk\": " + disk_json();
            self->w.loop.post([self, models, sys] {
                if (self->closed_) return;
                StatsSnapshot snap;
                {
                    std::lock_guard<std::mutex> lock(self->sh.stats_mu);
                    snap.stats = self->sh.stats;
                }
                snap.uptime_s = std::chrono::duration<double>(Clock::now() - self->sh.started).count();
                snap.inflight = self->sh.inflight.load();
                snap.max_inflight = self->sh.cfg.max_inflight;
                snap.gather_pauses = self->sh.gather_pauses.load(std::memory_order_relaxed);
                snap.memory_releases = self->sh.memory_releases.load(std::memory_order_relaxed);
                std::string doc = "{" + stats_members(snap) +
                                  ", \"upstream_ready\": " + (self->sh.ready.load() ? "true" : "false") +
                                  ", \"vllm_models\": " + models + sys + "}";
                self->json_error(200, doc);
            });
        });
    });
}

void ClientConn::peer_gone() {
    if (closed_) return;
    if (exchange) {
        auto ex = exchange;
        return ex->client_gone();
    }
    if (!busy_) return close();
    // /health or /stats in progress: its answer will fail to send and close.
    keep_alive_ = false;
}

void ClientConn::finish_request() {
    busy_ = false;
    parser_.reset();
    if (!keep_alive_ || closed_) return close();
    phase_ = Phase::idle;
    deadline_.after(seconds(sh.cfg.idle_timeout));
    parse();
}

void ClientConn::close() {
    if (closed_) return;
    closed_ = true;
    deadline_.clear();
    sock.shutdown();
    sock.close();
}

// ---------------------------------------------------------------- the server

struct Server::Impl {
    Shared sh;
    std::vector<std::unique_ptr<Worker>> workers;
    std::unique_ptr<net::Acceptor> acceptor;
    std::unique_ptr<net::SignalWatch> signals;
    std::size_t next = 0;

    // A new connection goes to the next loop in turn, which takes it from there.
    void accepted(int fd) {
        Worker& target = *workers[next];
        next = (next + 1) % workers.size();
        target.loop.post([this, &target, fd] {
            net::Socket s(target.loop, fd);
            s.set_no_delay();
            std::make_shared<ClientConn>(std::move(s), target, sh)->start();
        });
    }

    void stop_all() {
        for (auto& w : workers) w->loop.stop();
    }
};

Server::Server(Config config, std::shared_ptr<KeySet> keys) : impl_(new Impl) {
    impl_->sh.cfg = std::move(config);
    impl_->sh.keys = std::move(keys);
    if (impl_->sh.cfg.upstream.tls) impl_->sh.tls = std::make_unique<net::TlsContext>(impl_->sh.cfg.upstream_insecure);
    const int n = std::max(1, impl_->sh.cfg.threads);
    for (int i = 0; i < n; ++i) {
        impl_->workers.push_back(std::make_unique<Worker>());
        impl_->workers.back()->loop.set_gather(std::chrono::microseconds(impl_->sh.cfg.gather_us),
                                               &impl_->sh.gather_pauses);
    }
    // SIGINT and SIGTERM end the loops; blocked before any thread starts, so none dies of them.
    Impl& im = *impl_;
    im.signals = std::make_unique<net::SignalWatch>(im.workers[0]->loop, [&im] { im.stop_all(); });
    im.sh.blocking = std::make_unique<asio::thread_pool>(1);
    im.sh.resolving = std::make_unique<asio::thread_pool>(1);
}

Server::~Server() {
    Impl& im = *impl_;
    im.stop_all();
    for (auto& w : im.workers)
        if (w->thread.joinable()) w->thread.join();
    // What the blocking threads and the probe's waiters hold (connections) goes before the loops.
    im.sh.blocking->stop();
    im.sh.blocking->join();
    im.sh.resolving->stop();
    im.sh.resolving->join();
    im.sh.blocking.reset();
    im.sh.resolving.reset();
    im.sh.probe_waiters.clear();
    im.signals.reset();
    im.acceptor.reset();
}

unsigned short Server::listen() {
    Impl& im = *impl_;
    // The upstream's address, resolved once (a name that does not resolve yet is retried per
    // connection).
    std::string error;
    im.sh.upstream_endpoints = net::resolve(im.sh.cfg.upstream.host, im.sh.cfg.upstream.port, false, error);
    const auto eps = net::resolve(im.sh.cfg.host, std::to_string(im.sh.cfg.port), true, error);
    if (eps.empty()) throw std::runtime_error("cannot resolve --host " + im.sh.cfg.host + ": " + error);
    im.acceptor = std::make_unique<net::Acceptor>(im.workers[0]->loop);
    try {
        return im.acceptor->listen(eps.front(), 4096);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot listen on " + im.sh.cfg.host + ":" + std::to_string(im.sh.cfg.port) + ": " +
                                 e.what());
    }
}

void Server::run() {
    Impl& im = *impl_;
    auto& main = *im.workers[0];
    im.acceptor->start([&im](int fd) { im.accepted(fd); });
    for (std::size_t i = 1; i < im.workers.size(); ++i) {
        Worker* w = im.workers[i].get();
        w->thread = std::thread([w] {
            w->thread_id = std::this_thread::get_id();
            w->loop.run();
        });
    }
    main.thread_id = std::this_thread::get_id();
    main.loop.run();
    im.stop_all();
    for (auto& w : im.workers)
        if (w->thread.joinable()) w->thread.join();
}

}  // namespace mgpux_proxy
