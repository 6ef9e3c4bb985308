// SPDX-License-Identifier: MIT
#include "event_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <time.h>

namespace mgpux_proxy::net {

namespace asio = boost::asio;

namespace {

error_code errno_code(int e) { return error_code(e, boost::system::system_category()); }

// What an OpenSSL call's failure means, in the error codes the proxy already judges by: the end
// of the connection with close_notify is eof; without it, stream_truncated.
error_code tls_error(ssl_st* ssl, int ret) {
    const int err = SSL_get_error(ssl, ret);
    const int sys = errno;
    if (err == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
    const unsigned long e = ERR_get_error();
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    if (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::ssl::error::stream_truncated;
#endif
    if (err == SSL_ERROR_SYSCALL && !e) {
        if (ret == 0 || sys == 0) return asio::ssl::error::stream_truncated;
        return errno_code(sys);
    }
    if (e) return error_code(static_cast<int>(e), asio::error::get_ssl_category());
    return asio::error::fault;
}

// One gathered send of `count` pieces: the bytes the socket took, or 0 with `ec` set (would_block
// when it is full).
std::size_t send_pieces(int fd, const iovec* v, int count, error_code& ec) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(v);
    msg.msg_iovlen = static_cast<std::size_t>(count);
    for (;;) {
        const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        ec = errno == EAGAIN || errno == EWOULDBLOCK ? error_code(asio::error::would_block) : errno_code(errno);
        return 0;
    }
}

bool is_address(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

// ---------------------------------------------------------------- a socket's state

// Registered with the loop once (edge-triggered; room to write only once the socket has been
// full), so readiness changes cost no system call: the flags below follow the events.
struct IoState {
    Loop* loop = nullptr;
    int fd = -1;
    bool readable = false;     // may hold bytes (or the end of the connection)
    bool writable = true;      // may take bytes
    bool peer_closed = false;  // the peer ended its side: reads go on to the end
    ssl_st* ssl = nullptr;

    char* rd_buf = nullptr;
    std::size_t rd_len = 0;
    IoCallback rd_cb;

    std::array<iovec, 4> wr{};
    int wr_first = 0, wr_count = 0;
    std::size_t wr_done = 0;
    IoCallback wr_cb;

    IoCallback conn_cb;  // a connect in progress

    enum class TlsOp { none, handshake, read, write } tls_op = TlsOp::none;
    bool tls_wants_write = false;
    IoCallback tls_cb;

    std::uint32_t registered = 0;  // the events asked of epoll

    // The socket is full (or connecting): from now on its events include room to write. Asked
    // only then, as a socket that never fills would otherwise be woken each time its peer's
    // acknowledgements free room. epoll reports a readiness already there when asked, so nothing
    // that happened since the write is missed.
    void full() {
        writable = false;
        if (registered & EPOLLOUT) return;
        registered |= EPOLLOUT;
        epoll_event ev{};
        ev.events = registered;
        ev.data.ptr = this;
        ::epoll_ctl(loop->epoll_fd(), EPOLL_CTL_MOD, fd, &ev);
    }

    ~IoState() {
        if (ssl) SSL_free(ssl);
        if (fd >= 0) ::close(fd);
    }

    void on_events(std::uint32_t ev) {
        if (fd < 0) return;
        if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_closed = true;
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
        if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
        // Each completion may close the socket (or free its owner: this state lives on until the
        // batch of events is over).
        if (conn_cb && writable) connect_done();
        if (fd >= 0 && tls_cb && (tls_wants_write ? writable : readable)) tls_step(true);
        if (fd >= 0 && rd_cb && readable) read_step(true);
        if (fd >= 0 && wr_cb && writable) write_step(true);
    }

    void finish(IoCallback& slot, error_code ec, std::size_t n, bool now) {
        if (now) slot(ec, n);
        else loop->complete_later(std::move(slot), ec, n);
    }

    // A read that takes less than it asked for drained the socket: the next waits for an event.
    void read_step(bool now) {
        if (!rd_buf) return finish(rd_cb, {}, 0, now);  // a wait for readability only
        for (;;) {
            const ssize_t n = ::recv(fd, rd_buf, rd_len, 0);
            if (n > 0) {
                if (static_cast<std::size_t>(n) < rd_len && !peer_closed) readable = false;
                return finish(rd_cb, {}, static_cast<std::size_t>(n), now);
            }
            if (n == 0) return finish(rd_cb, asio::error::eof, 0, now);
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                readable = false;
                return;
            }
            return finish(rd_cb, errno_code(errno), 0, now);
        }
    }

    // Writes the pending pieces as far as the socket takes them.
    void write_step(bool now) {
        while (wr_first < wr_count) {
            error_code ec;
            const std::size_t n = send_pieces(fd, wr.data() + wr_first, wr_count - wr_first, ec);
            if (ec == asio::error::would_block) return full();
            if (ec) return finish(wr_cb, ec, wr_done, now);
            wr_done += n;
            std::size_t left = n;
            while (wr_first < wr_count && left >= wr[wr_first].iov_len) left -= wr[wr_first++].iov_len;
            if (wr_first < wr_count) {
                wr[wr_first].iov_base = static_cast<char*>(wr[wr_first].iov_base) + left;
                wr[wr_first].iov_len -= left;
                full();  // it took less than all: full for now
                return;
            }
        }
        finish(wr_cb, {}, wr_done, now);
    }

    void connect_done() {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        finish(conn_cb, err ? errno_code(err) : error_code{}, 0, true);
    }

    // One step of the TLS operation in progress, as far as it goes without waiting. OpenSSL reads
    // the socket itself: when it wants to read, it found the socket drained.
    void tls_step(bool now) {
        for (;;) {
            ERR_clear_error();
            errno = 0;
            int r = 0;
            if (tls_op == TlsOp::handshake) {
                r = SSL_connect(ssl);
                if (r == 1) return finish(tls_cb, {}, 0, now);
            } else if (tls_op == TlsOp::read) {
                r = SSL_read(ssl, rd_buf, static_cast<int>(std::min<std::size_t>(rd_len, INT_MAX)));
                if (r > 0) return finish(tls_cb, {}, static_cast<std::size_t>(r), now);
            } else {
                if (wr_first == wr_count) return finish(tls_cb, {}, wr_done, now);
                iovec& v = wr[wr_first];
                if (v.iov_len == 0) {
                    ++wr_first;
                    continue;
                }
                r = SSL_write(ssl, v.iov_base, static_cast<int>(std::min<std::size_t>(v.iov_len, INT_MAX)));
                if (r > 0) {
                    wr_done += static_cast<std::size_t>(r);
                    v.iov_base = static_cast<char*>(v.iov_base) + r;
                    v.iov_len -= static_cast<std::size_t>(r);
                    continue;
                }
            }
            const int err = SSL_get_error(ssl, r);
            if (err == SSL_ERROR_WANT_READ) {
                readable = false;
                tls_wants_write = false;
                return;
            }
            if (err == SSL_ERROR_WANT_WRITE) {
                full();
                tls_wants_write = true;
                return;
            }
            return finish(tls_cb, tls_error(ssl, r), tls_op == TlsOp::write ? wr_done : 0, now);
        }
    }

    // Ends what is pending with `ec`, later.
    void abort_all(error_code ec) {
        if (rd_cb) loop->complete_later(std::move(rd_cb), ec, 0);
        if (wr_cb) loop->complete_later(std::move(wr_cb), ec, 0);
        if (conn_cb) loop->complete_later(std::move(conn_cb), ec, 0);
        if (tls_cb) loop->complete_later(std::move(tls_cb), ec, 0);
    }
};

IoCallback IoCallback::of(std::function<void(error_code, std::size_t)> fn) {
    auto holder = std::make_shared<std::function<void(error_code, std::size_t)>>(std::move(fn));
    IoCallback cb;
    cb.fn_ = [](void* p, error_code ec, std::size_t n) {
        (*static_cast<std::function<void(error_code, std::size_t)>*>(p))(ec, n);
    };
    cb.owner_ = std::move(holder);
    return cb;
}

// ---------------------------------------------------------------- the loop

Loop::Loop() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wakefd_ < 0) throw std::runtime_error(std::string("event loop: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake-up
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
    ready_.reserve(64);
    running_.reserve(64);
}

Loop::~Loop() {
    // What is still pending holds connections, whose sockets come back here as they are freed.
    for (int round = 0; round < 16; ++round) {
        std::vector<Task> tasks;
        tasks.swap(ready_);
        std::map<TimerKey, std::function<void()>> timers;
        timers.swap(timers_);
        std::vector<std::function<void()>> posted;
        {
            std::lock_guard<std::mutex> lock(posted_mu_);
            posted.swap(posted_);
        }
        const bool none = tasks.empty() && timers.empty() && posted.empty();
        tasks.clear();
        timers.clear();
        posted.clear();
        if (none) break;
    }
    graveyard_.clear();
    ::close(epfd_);
    ::close(wakefd_);
}

void Loop::stop() {
    stopped_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wakefd_, &one, sizeof one);
}

void Loop::post(std::function<void()> fn) {
    if (in_loop_thread()) {
        ready_.push_back(Task{{}, {}, 0, std::move(fn)});
        return;
    }
    {
        std::lock_guard<std::mutex> lock(posted_mu_);
        posted_.push_back(std::move(fn));
    }
    if (sleeping_.load()) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(wakefd_, &one, sizeof one);
    }
}

void Loop::complete_later(IoCallback cb, error_code ec, std::size_t n) {
    ready_.push_back(Task{std::move(cb), ec, n, {}});
}

Loop::TimerKey Loop::add_timer(Clock::time_point at, std::function<void()> fn) {
    TimerKey key{at, ++next_timer_};
    timers_.emplace(key, std::move(fn));
    return key;
}

bool Loop::add(int fd, IoState* st) {
    epoll_event ev{};
    st->registered = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.events = st->registered;
    ev.data.ptr = st;
    return ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Loop::retire(std::unique_ptr<IoState> st) { graveyard_.push_back(std::move(st)); }

// Completions and posted functions run until none is left (each may add more; a long chain lets
// the loop look at its sockets every few rounds).
void Loop::run_ready() {
    for (int round = 0; round < 8 && !ready_.empty(); ++round) {
        running_.swap(ready_);
        for (auto& t : running_) {
            if (t.fn) t.fn();
            else t.cb(t.ec, t.n);
        }
        running_.clear();
    }
}

void Loop::take_posted() {
    std::lock_guard<std::mutex> lock(posted_mu_);
    for (auto& fn : posted_) ready_.push_back(Task{{}, {}, 0, std::move(fn)});
    posted_.clear();
}

void Loop::run_timers() {
    while (!timers_.empty() && timers_.begin()->first.first <= now_) {
        auto fn = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        fn();
    }
}

// How long the loop may sleep: not at all with work ready, else until the next timer.
int Loop::wait_ms() {
    if (!ready_.empty()) return 0;
    if (timers_.empty()) return -1;
    const auto left = timers_.begin()->first.first - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// The pause of gathering (see set_gather): sleep until the window since the last wake-up is over.
// `done`: when the work of that wake-up was done. The sleep is on this thread's own timer, so what
// arrives meanwhile wakes nobody; the next wait takes it at once.
void Loop::gather_pause(Clock::time_point done) {
    if (last_events_ < 2 || !spare_) return;
    const auto until = now_ + gather_;
    if (done >= until) return;
    if (pauses_) pauses_->fetch_add(1, std::memory_order_relaxed);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / 1000000000);
    ts.tv_nsec = static_cast<long>(ns % 1000000000);
    // steady_clock is CLOCK_MONOTONIC (libstdc++ on Linux)
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {}
}

// How busy the loop is while streams are open: from each wake-up (`prev`) to when its work was
// done (`done`) against the time to the next wake-up (now_), per window of 2 ms or more. Time the
// thread lost to others while handling events counts as busy, as it is for the streams; the
// pauses count as idle.
void Loop::account(Clock::time_point prev, Clock::time_point done) {
    busy_ += done - prev;
    span_ += now_ - prev;
    if (span_ < std::chrono::milliseconds(2)) return;
    spare_ = busy_ * 10 < span_ * 9;
    busy_ = span_ = Clock::duration::zero();
}

void Loop::run() {
    thread_ = std::this_thread::get_id();
    now_ = Clock::now();
    // The pause must end near its time, not up to the default 50 us later (this thread's timers
    // are otherwise all in milliseconds).
    if (gather_ > Clock::duration::zero()) ::prctl(PR_SET_TIMERSLACK, 1000UL);
    std::array<epoll_event, 256> events;
    while (!stopped_.load(std::memory_order_relaxed)) {
        run_ready();
        int timeout = wait_ms();
        Clock::time_point done{};  // set while gathering may pause: when this wake-up's work was done
        if (gather_ > Clock::duration::zero() && streams_.load(std::memory_order_relaxed) > 0) {
            done = Clock::now();
            if (timeout != 0) {
                gather_pause(done);
                timeout = wait_ms();
            }
        }
        if (timeout != 0) {
            sleeping_ = true;
            std::lock_guard<std::mutex> lock(posted_mu_);
            if (!posted_.empty()) timeout = 0;
        }
        graveyard_.clear();  // no event can point at these any more
        const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
        last_events_ = n;
        sleeping_ = false;
        const auto prev = now_;
        now_ = Clock::now();
        if (done != Clock::time_point{}) account(prev, done);
        for (int i = 0; i < n; ++i) {
            if (auto* st = static_cast<IoState*>(events[i].data.ptr)) {
                st->on_events(events[i].events);
            } else {
                std::uint64_t count;
                [[maybe_unused]] const auto got = ::read(wakefd_, &count, sizeof count);
            }
        }
        take_posted();
        run_timers();
    }
}

// ---------------------------------------------------------------- timers

void Timer::async_wait(std::function<void()> fn) {
    cancel();
    pending_ = true;
    key_ = loop_->add_timer(at_, [this, fn = std::move(fn)] {
        pending_ = false;
        fn();
    });
}

void Timer::cancel() {
    if (!pending_) return;
    pending_ = false;
    loop_->cancel_timer(key_);
}

// ---------------------------------------------------------------- addresses and TLS settings

std::vector<Endpoint> resolve(const std::string& host, const std::string& port, bool passive, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
    std::vector<Endpoint> out;
    if (rc != 0) {
        error = ::gai_strerror(rc);
        return out;
    }
    for (addrinfo* a = res; a; a = a->ai_next) {
        Endpoint e;
        std::memcpy(&e.addr, a->ai_addr, a->ai_addrlen);
        e.len = a->ai_addrlen;
        out.push_back(e);
    }
    ::freeaddrinfo(res);
    if (out.empty()) error = "no address";
    return out;
}

TlsContext::TlsContext(bool insecure) : verify_(!insecure) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) throw std::runtime_error("cannot create the TLS context");
    SSL_CTX_set_options(ctx_, SSL_OP_ALL);
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(ctx_);
    SSL_CTX_set_verify(ctx_, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

// ---------------------------------------------------------------- sockets

Socket::Socket(Loop& loop) : loop_(&loop) {}
Socket::Socket(Socket&& o) noexcept : loop_(o.loop_), st_(std::move(o.st_)) {}

Socket::Socket(Loop& loop, int fd) : loop_(&loop), st_(new IoState) {
    st_->loop = loop_;
    st_->fd = fd;
    loop_->add(fd, st_.get());
}

// Pending operations are dropped, not called: their owners are going too.
Socket::~Socket() { release(false); }

Socket& Socket::operator=(Socket&& o) noexcept {
    if (this != &o) {
        close();
        loop_ = o.loop_;
        st_ = std::move(o.st_);
    }
    return *this;
}

void Socket::async_wait_readable(IoCallback cb) {
    if (!is_open()) return loop_->complete_later(std::move(cb), asio::error::bad_descriptor, 0);
    st_->rd_buf = nullptr;
    st_->rd_len = 0;
    st_->rd_cb = std::move(cb);
    if (st_->readable) st_->finish(st_->rd_cb, {}, 0, false);
}

void Socket::drained() {
    if (st_) st_->readable = false;
}

int Socket::fd() const { return st_ ? st_->fd : -1; }

void Socket::open(int family, error_code& ec) {
    close();
    const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ec = errno_code(errno);
        return;
    }
    st_.reset(new IoState);
    st_->loop = loop_;
    st_->fd = fd;
    if (!loop_->add(fd, st_.get())) ec = errno_code(errno);
}

void Socket::async_read_some(void* buf, std::size_t len, IoCallback cb) {
    if (!is_open()) return loop_->complete_later(std::move(cb), asio::error::bad_descriptor, 0);
    IoState& s = *st_;
    s.rd_buf = static_cast<char*>(buf);
    s.rd_len = len;
    if (s.ssl) {
        s.tls_op = IoState::TlsOp::read;
        s.tls_cb = std::move(cb);
        return s.tls_step(false);  // OpenSSL may hold decrypted bytes already: always tried
    }
    s.rd_cb = std::move(cb);
    if (s.readable) s.read_step(false);
}

std::size_t Socket::write_some(const iovec* v, int count, error_code& ec) {
    ec = {};
    if (!is_open()) {
        ec = asio::error::bad_descriptor;
        return 0;
    }
    if (st_->ssl || !st_->writable) {
        ec = asio::error::would_block;
        return 0;
    }
    const std::size_t n = send_pieces(st_->fd, v, count, ec);
    std::size_t total = 0;
    for (int i = 0; i < count; ++i) total += v[i].iov_len;
    if (ec == asio::error::would_block || (!ec && n < total)) st_->full();  // full for now
    return n;
}

void Socket::async_write(const iovec* v, int count, IoCallback cb) {
    if (!is_open()) return loop_->complete_later(std::move(cb), asio::error::bad_descriptor, 0);
    IoState& s = *st_;
    s.wr_first = 0;
    s.wr_count = 0;
    s.wr_done = 0;
    for (int i = 0; i < count && s.wr_count < static_cast<int>(s.wr.size()); ++i)
        if (v[i].iov_len > 0) s.wr[s.wr_count++] = v[i];
    if (s.ssl) {
        s.tls_op = IoState::TlsOp::write;
        s.tls_cb = std::move(cb);
        return s.tls_step(false);
    }
    s.wr_cb = std::move(cb);
    if (s.wr_count == 0) return s.finish(s.wr_cb, {}, 0, false);
    if (s.writable) s.write_step(false);
}

void Socket::async_connect(std::vector<Endpoint> eps, IoCallback cb) {
    connect_next(std::make_shared<std::vector<Endpoint>>(std::move(eps)), 0, std::move(cb),
                 asio::error::host_not_found);
}

// Tries eps[i], then the next ones in turn; ends with the last failure. A socket closed meanwhile
// (the caller's deadline) ends it with operation_aborted.
void Socket::connect_next(std::shared_ptr<std::vector<Endpoint>> eps, std::size_t i, IoCallback cb, error_code last) {
    if (i >= eps->size()) return loop_->complete_later(std::move(cb), last, 0);
    const Endpoint& ep = (*eps)[i];
    error_code ec;
    open(ep.addr.ss_family, ec);
    if (!ec) {
        if (::connect(st_->fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) == 0) {
            return loop_->complete_later(std::move(cb), {}, 0);
        }
        if (errno != EINPROGRESS) ec = errno_code(errno);
    }
    if (ec) return connect_next(eps, i + 1, std::move(cb), ec);
    st_->full();
    auto shared_cb = std::make_shared<IoCallback>(std::move(cb));
    st_->conn_cb = IoCallback::of([this, eps, i, shared_cb](error_code e, std::size_t) {
        if (!e) return (*shared_cb)(e, 0);
        if (e == asio::error::operation_aborted || e == asio::error::bad_descriptor) return (*shared_cb)(e, 0);
        connect_next(eps, i + 1, std::move(*shared_cb), e);
    });
}

void Socket::async_handshake(const TlsContext& ctx, const std::string& host, IoCallback cb) {
    if (!is_open()) return loop_->complete_later(std::move(cb), asio::error::bad_descriptor, 0);
    IoState& s = *st_;
    s.ssl = SSL_new(ctx.native());
    if (!s.ssl) return loop_->complete_later(std::move(cb), asio::error::no_memory, 0);
    SSL_set_fd(s.ssl, s.fd);
    const bool address = is_address(host);
    if (!address) SSL_set_tlsext_host_name(s.ssl, host.c_str());
    if (ctx.verify()) {
        if (address) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl), host.c_str());
        else SSL_set1_host(s.ssl, host.c_str());
    }
    SSL_set_connect_state(s.ssl);
    s.tls_op = IoState::TlsOp::handshake;
    s.tls_cb = std::move(cb);
    s.tls_step(false);
}

void Socket::set_no_delay() {
    const int one = 1;
    if (is_open()) ::setsockopt(st_->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void Socket::shutdown() {
    if (is_open()) ::shutdown(st_->fd, SHUT_RDWR);
}

void Socket::close() { release(true); }

// Closes the descriptor now (no event can come for it any more) and hands the state to the loop,
// which frees it once no event of the current batch can point at it.
void Socket::release(bool abort) {
    if (!st_) return;
    if (st_->fd >= 0) {
        ::close(st_->fd);
        st_->fd = -1;
    }
    if (abort) st_->abort_all(asio::error::operation_aborted);
    loop_->retire(std::move(st_));
}

// ---------------------------------------------------------------- listening

unsigned short Acceptor::listen(const Endpoint& ep, int backlog) {
    const int fd = ::socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) < 0 || ::listen(fd, backlog) < 0) {
        const int e = errno;
        ::close(fd);
        throw std::runtime_error(std::strerror(e));
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    sock_ = Socket(sock_.loop(), fd);
    if (bound.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void Acceptor::start(std::function<void(int)> on_accept) {
    on_accept_ = std::move(on_accept);
    accept_all();
}

// Takes every waiting connection, then waits for the socket's next event. Out of descriptors:
// tries again in 100 ms instead of spinning.
void Acceptor::accept_all() {
    for (;;) {
        const int fd = ::accept4(sock_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            on_accept_(fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            sock_.drained();
            break;
        }
        std::fprintf(stderr, "mgpux-proxy: accept: %s\n", std::strerror(errno));
        if (!retry_) retry_ = std::make_unique<Timer>(sock_.loop());
        retry_->expires_after(std::chrono::milliseconds(100));
        retry_->async_wait([this] { accept_all(); });
        return;
    }
    sock_.async_wait_readable(IoCallback::of([this](error_code ec, std::size_t) {
        if (!ec) accept_all();
    }));
}

// ---------------------------------------------------------------- signals

namespace {
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}
}  // namespace

SignalWatch::SignalWatch(Loop& loop, std::function<void()> fn) : sock_(loop), fn_(std::move(fn)) {
    const sigset_t set = stop_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
    sock_ = Socket(loop, fd);
    wait();
}

SignalWatch::~SignalWatch() = default;

void SignalWatch::wait() {
    sock_.async_wait_readable(IoCallback::of([this](error_code ec, std::size_t) {
        if (ec) return;
        signalfd_siginfo info;
        bool got = false;
        while (::read(sock_.fd(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) got = true;
        sock_.drained();
        if (got) fn_();
        wait();
    }));
}

}  // namespace mgpux_proxy::net
