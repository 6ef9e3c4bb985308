// SPDX-License-Identifier: MIT
// The proxy's event loop: one epoll instance per thread, edge-triggered, with the readiness of
// each socket tracked from its events. A read is tried only when the socket may hold bytes: after
// a read that took less than it asked for, the socket is drained and the next read waits for the
// next event, instead of costing a system call that finds nothing (what a general-purpose reactor
// must do, not knowing). The same for writes. TLS is OpenSSL on the socket itself.
//
// Linux only (epoll, eventfd, signalfd), like the containers the proxy runs in.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace mgpux_proxy::net {

using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// What an operation calls when it ends: a plain function and the object it belongs to, which it
// keeps alive until then. Unlike a std::function holding a shared_ptr, it costs no allocation:
// it runs for every read and write of every request.
class IoCallback {
public:
    IoCallback() = default;
    IoCallback(IoCallback&& o) noexcept : fn_(o.fn_), owner_(std::move(o.owner_)) { o.fn_ = nullptr; }
    IoCallback& operator=(IoCallback&& o) noexcept {
        fn_ = o.fn_;
        owner_ = std::move(o.owner_);
        o.fn_ = nullptr;
        return *this;
    }
    IoCallback(const IoCallback&) = delete;
    IoCallback& operator=(const IoCallback&) = delete;

    // Calls self->M(ec, n).
    template <class T, void (T::*M)(error_code, std::size_t)>
    static IoCallback to(std::shared_ptr<T> self) {
        IoCallback cb;
        cb.fn_ = [](void* p, error_code ec, std::size_t n) { (static_cast<T*>(p)->*M)(ec, n); };
        cb.owner_ = std::move(self);
        return cb;
    }
    // Any function (for the rare operations: connecting, handshakes, the readiness probe).
    static IoCallback of(std::function<void(error_code, std::size_t)> fn);

    explicit operator bool() const { return fn_ != nullptr; }

    // Runs it once; its object stays alive during the call, and the callback is empty after.
    void operator()(error_code ec, std::size_t n) {
        auto owner = std::move(owner_);
        auto fn = fn_;
        fn_ = nullptr;
        fn(owner.get(), ec, n);
    }

private:
    void (*fn_)(void*, error_code, std::size_t) = nullptr;
    std::shared_ptr<void> owner_;
};

struct IoState;

class Loop {
public:
    Loop();
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // Runs the loop on the calling thread until stop().
    void run();
    // Gathering under load, set before run(); zero (the default) turns it off. While a stream is
    // open on the loop (StreamCount), a wake-up brought two events or more and the loop spent less
    // than 90 % of its last 2 ms handling events (not waiting), the loop lets `window` pass from
    // that wake-up before it waits again: what arrives meanwhile (the streams' next pieces, new
    // requests) is then taken in one wake-up and written in fewer, larger writes, and the peers
    // that sent it wake nobody. A single exchange (one event per wake-up), plain requests and a
    // saturated loop never wait for it.
    // `pauses`, when given, counts the pauses taken (for /stats; shared by the loops).
    void set_gather(std::chrono::microseconds window, std::atomic<std::uint64_t>* pauses = nullptr) {
        gather_ = window;
        pauses_ = pauses;
    }
    // From any thread.
    void stop();
    // Runs `fn` on this loop's thread after what runs now. From any thread.
    void post(std::function<void()> fn);
    // This loop's thread only: `cb(ec, n)` after what runs now, before the loop waits again.
    void complete_later(IoCallback cb, error_code ec, std::size_t n);
    bool in_loop_thread() const { return std::this_thread::get_id() == thread_.load(std::memory_order_relaxed); }
    // The time the loop last woke up: what everything it runs until it waits again takes as "now"
    // (a request reads the clock about ten times; the loop once per wake-up).
    Clock::time_point now() const { return now_; }

    // Timers: `fn` runs on this loop's thread at `at` (the millisecond after, at worst), unless
    // cancelled first. A cancelled timer's function is dropped, not called.
    using TimerKey = std::pair<Clock::time_point, std::uint64_t>;
    TimerKey add_timer(Clock::time_point at, std::function<void()> fn);
    void cancel_timer(const TimerKey& key) { timers_.erase(key); }

    // For sockets: registration, and a socket's state kept until no event of the current batch
    // can point at it any more.
    bool add(int fd, IoState* st);
    int epoll_fd() const { return epfd_; }
    void retire(std::unique_ptr<IoState> st);

private:
    struct Task {
        IoCallback cb;
        error_code ec;
        std::size_t n = 0;
        std::function<void()> fn;
    };
    void run_ready();
    void take_posted();
    void run_timers();
    int wait_ms();
    void gather_pause(Clock::time_point done);
    void account(Clock::time_point prev, Clock::time_point done);

    int epfd_ = -1;
    int wakefd_ = -1;
    std::atomic<std::thread::id> thread_{};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> sleeping_{false};
    Clock::time_point now_ = Clock::now();
    // Gathering: the window, whether the load allows it now, and the current 2 ms measurement.
    friend class StreamCount;
    Clock::duration gather_{};
    std::atomic<std::uint64_t>* pauses_ = nullptr;
    std::atomic<int> streams_{0};  // atomic: what holds a stream may be destroyed on another thread
    int last_events_ = 0;
    bool spare_ = true;                // the loop handled events less than 90 % of the last window (new: idle)
    Clock::duration busy_{}, span_{};  // the window being measured: time handling events, in all
    std::vector<Task> ready_, running_;
    std::mutex posted_mu_;
    std::vector<std::function<void()>> posted_;
    std::map<TimerKey, std::function<void()>> timers_;
    std::uint64_t next_timer_ = 0;
    std::vector<std::unique_ptr<IoState>> graveyard_;
};

// While set, one of the loop's open streams (see Loop::set_gather). Set on the loop's thread; it may
// end on any thread (the object holding it may be freed elsewhere).
class StreamCount {
public:
    StreamCount() = default;
    StreamCount(const StreamCount&) = delete;
    StreamCount& operator=(const StreamCount&) = delete;
    ~StreamCount() { reset(); }
    void set(Loop& loop) {
        if (loop_) return;
        loop_ = &loop;
        loop.streams_.fetch_add(1, std::memory_order_relaxed);
    }
    void reset() {
        if (!loop_) return;
        loop_->streams_.fetch_sub(1, std::memory_order_relaxed);
        loop_ = nullptr;
    }

private:
    Loop* loop_ = nullptr;
};

// A timer on a loop, with one wait at a time. cancel() (or a new expiry) drops the pending wait
// without calling it.
class Timer {
public:
    explicit Timer(Loop& loop) : loop_(&loop) {}
    Timer(Loop& loop, Clock::duration d) : loop_(&loop), at_(loop.now() + d) {}
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    void expires_at(Clock::time_point t) {
        cancel();
        at_ = t;
    }
    void expires_after(Clock::duration d) { expires_at(loop_->now() + d); }
    void async_wait(std::function<void()> fn);
    void cancel();

private:
    Loop* loop_;
    Clock::time_point at_{};
    bool pending_ = false;
    Loop::TimerKey key_{};
};

// An address to connect to or listen on.
struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
};
// getaddrinfo: numeric or by name (blocking); `passive` for a listening address. Empty, with
// `error` set, when it does not resolve.
std::vector<Endpoint> resolve(const std::string& host, const std::string& port, bool passive, std::string& error);

// The settings shared by every TLS connection: the system's trusted certificates (OpenSSL's
// default paths, so SSL_CERT_FILE and SSL_CERT_DIR apply), TLS 1.2 or later, the peer verified
// unless `insecure`.
class TlsContext {
public:
    explicit TlsContext(bool insecure);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    ssl_ctx_st* native() const { return ctx_; }
    bool verify() const { return verify_; }

private:
    ssl_ctx_st* ctx_ = nullptr;
    bool verify_ = true;
};

// A non-blocking TCP socket on a loop, optionally with TLS over it. At most one read and one
// write pending at a time (a TLS socket: one operation of any kind). Completions never run inside
// the call that starts the operation. close() ends pending operations with operation_aborted.
class Socket {
public:
    explicit Socket(Loop& loop);
    Socket(Loop& loop, int fd);  // an accepted connection
    ~Socket();
    Socket(Socket&& o) noexcept;
    Socket& operator=(Socket&& o) noexcept;

    Loop& loop() const { return *loop_; }
    int fd() const;
    bool is_open() const { return fd() >= 0; }

    // Reads what is there, at most `len` bytes (eof: the peer closed the connection).
    void async_read_some(void* buf, std::size_t len, IoCallback cb);
    // Writes what the socket takes now; would_block when nothing. Plain TCP only.
    std::size_t write_some(const iovec* v, int count, error_code& ec);
    // Writes all of `v` (up to 4 pieces, which must stay valid until `cb`), then `cb(ec, n)`.
    void async_write(const iovec* v, int count, IoCallback cb);
    // Connects to one of `eps`, in order.
    void async_connect(std::vector<Endpoint> eps, IoCallback cb);
    // TLS over the connected socket for `host` (SNI for a name; the certificate checked against it
    // when the context verifies). Reads and writes then go through TLS.
    void async_handshake(const TlsContext& ctx, const std::string& host, IoCallback cb);

    // Completes when the socket may be read (a listening socket: a connection waits), without
    // reading; drained() says the caller read it until it would block.
    void async_wait_readable(IoCallback cb);
    void drained();

    void set_no_delay();
    void shutdown();
    void close();

private:
    void open(int family, error_code& ec);
    void release(bool abort);
    void connect_next(std::shared_ptr<std::vector<Endpoint>> eps, std::size_t i, IoCallback cb, error_code last);

    Loop* loop_;
    std::unique_ptr<IoState> st_;
};

// A listening socket: `on_accept(fd)` for each connection, on the loop's thread.
class Acceptor {
public:
    explicit Acceptor(Loop& loop) : sock_(loop) {}
    // Binds and listens; throws std::runtime_error with the reason.
    unsigned short listen(const Endpoint& ep, int backlog);
    void start(std::function<void(int)> on_accept);

private:
    void accept_all();
    Socket sock_;
    std::function<void(int)> on_accept_;
    std::unique_ptr<Timer> retry_;
};

// Calls `fn` on `loop`'s thread for SIGINT and SIGTERM. They are blocked in the calling thread, so
// it must be made before any other thread starts (threads inherit the blocked signals; one that
// did not block them would be killed by them).
class SignalWatch {
public:
    SignalWatch(Loop& loop, std::function<void()> fn);
    ~SignalWatch();

private:
    Socket sock_;  // the signalfd, watched like a socket
    std::function<void()> fn_;
    void wait();
};

}  // namespace mgpux_proxy::net
