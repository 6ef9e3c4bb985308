// SPDX-License-Identifier: MIT
// The proxy's event loop on real loopback TCP connections: what it reads and writes, when it waits,
// and how operations end.
#include "event_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace mgpux_proxy::net;
namespace asio = boost::asio;

namespace {

// A listening socket on 127.0.0.1 (blocking), and its port.
int listener(unsigned short& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

Endpoint loopback(unsigned short port) {
    Endpoint e;
    auto* a = reinterpret_cast<sockaddr_in*>(&e.addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    e.len = sizeof(sockaddr_in);
    return e;
}

// Two ends of one TCP connection: `ours` non-blocking (for a Socket), `theirs` blocking.
struct Pair {
    int ours = -1, theirs = -1;
    Pair() {
        unsigned short port = 0;
        const int l = listener(port);
        theirs = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const Endpoint e = loopback(port);
        EXPECT_EQ(::connect(theirs, reinterpret_cast<const sockaddr*>(&e.addr), e.len), 0);
        ours = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        ::close(l);
    }
    ~Pair() {
        if (theirs >= 0) ::close(theirs);
    }
};

// Runs `loop` on a thread of its own until it is stopped.
struct Running {
    Loop& loop;
    std::thread t;
    explicit Running(Loop& l) : loop(l), t([&l] { l.run(); }) {}
    ~Running() {
        loop.stop();
        t.join();
    }
};

}  // namespace

TEST(EventLoop, WhatIsPostedFromAnotherThreadRunsOnTheLoop) {
    Loop loop;
    std::thread::id ran_on, loop_thread;
    std::thread t([&] {
        loop_thread = std::this_thread::get_id();
        loop.run();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the loop is asleep by now
    loop.post([&] {
        ran_on = std::this_thread::get_id();
        loop.stop();
    });
    t.join();
    EXPECT_EQ(ran_on, loop_thread);
}

TEST(EventLoop, TimersRunInTheirOrderAndACancelledOneNever) {
    Loop loop;
    std::vector<int> order;
    const auto now = Clock::now();
    loop.add_timer(now + std::chrono::milliseconds(30), [&] { order.push_back(3); });
    loop.add_timer(now + std::chrono::milliseconds(10), [&] { order.push_back(1); });
    const auto cancelled = loop.add_timer(now + std::chrono::milliseconds(20), [&] { order.push_back(2); });
    loop.add_timer(now + std::chrono::milliseconds(40), [&] { loop.stop(); });
    loop.cancel_timer(cancelled);
    loop.run();
    EXPECT_EQ(order, (std::vector<int>{1, 3}));
    EXPECT_GE(Clock::now() - now, std::chrono::milliseconds(40));
}

// Bytes and the end of the connection that arrive together: the bytes first, then the end. After
// a short read the socket counts as drained, so this is where an end already there could be lost.
TEST(EventLoop, BytesAndTheEndThatCameWithThemAreBothRead) {
    Pair p;
    ASSERT_EQ(::write(p.theirs, "hello", 5), 5);
    ::shutdown(p.theirs, SHUT_WR);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // both are in before the loop looks
    Loop loop;
    Socket s(loop, p.ours);
    char buf[64];
    std::string got;
    error_code end;
    s.async_read_some(buf, sizeof buf, IoCallback::of([&](error_code ec, std::size_t n) {
                          got.assign(buf, n);
                          ASSERT_FALSE(ec);
                          s.async_read_some(buf, sizeof buf, IoCallback::of([&](error_code ec2, std::size_t) {
                                                end = ec2;
                                                loop.stop();
                                            }));
                      }));
    loop.add_timer(Clock::now() + std::chrono::seconds(5), [&] { loop.stop(); });  // a lost end: fail, not hang
    loop.run();
    EXPECT_EQ(got, "hello");
    EXPECT_EQ(end, asio::error::eof);
}

TEST(EventLoop, AReadWaitsForBytesThatComeLater) {
    Pair p;
    Loop loop;
    Socket s(loop, p.ours);
    char buf[64];
    std::string got;
    s.async_read_some(buf, sizeof buf, IoCallback::of([&](error_code ec, std::size_t n) {
                          EXPECT_FALSE(ec);
                          got.assign(buf, n);
                          loop.stop();
                      }));
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_EQ(::write(p.theirs, "later", 5), 5);
    });
    loop.add_timer(Clock::now() + std::chrono::seconds(5), [&] { loop.stop(); });
    loop.run();
    writer.join();
    EXPECT_EQ(got, "later");
}

// More than the socket's buffers hold: the write is cut short, waits for room, and goes on until
// all of it is out, in order.
TEST(EventLoop, AWriteTheSocketCannotTakeAtOnceWaitsForRoomAndLosesNothing) {
    Pair p;
    std::string data(8 << 20, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    std::string received;
    std::thread reader([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer fills up first
        char buf[65536];
        ssize_t n;
        while ((n = ::read(p.theirs, buf, sizeof buf)) > 0) received.append(buf, static_cast<std::size_t>(n));
    });
    Loop loop;
    {
        Socket s(loop, p.ours);
        std::string head = "head:";
        iovec v[2] = {{head.data(), head.size()}, {data.data(), data.size()}};
        error_code ec;
        const std::size_t now = s.write_some(v, 2, ec);
        EXPECT_LT(now, head.size() + data.size());  // it did not all fit
        std::size_t written = 0;
        error_code result = asio::error::would_block;
        std::size_t skip = now;
        for (auto& b : v) {  // the rest
            const std::size_t k = std::min(skip, b.iov_len);
            b.iov_base = static_cast<char*>(b.iov_base) + k;
            b.iov_len -= k;
            skip -= k;
        }
        s.async_write(v, 2, IoCallback::of([&](error_code e, std::size_t n) {
                          result = e;
                          written = n;
                          loop.stop();
                      }));
        loop.add_timer(Clock::now() + std::chrono::seconds(10), [&] { loop.stop(); });
        loop.run();
        EXPECT_FALSE(result);
        EXPECT_EQ(now + written, head.size() + data.size());
    }  // the socket closes: the reader sees the end
    reader.join();
    EXPECT_EQ(received.size(), 5 + data.size());
    EXPECT_TRUE(received == "head:" + data);
}

TEST(EventLoop, ClosingEndsAPendingReadWithOperationAborted) {
    Pair p;
    Loop loop;
    Socket s(loop, p.ours);
    char buf[16];
    error_code got;
    bool called = false;
    s.async_read_some(buf, sizeof buf, IoCallback::of([&](error_code ec, std::size_t) {
                          called = true;
                          got = ec;
                          loop.stop();
                      }));
    loop.post([&] { s.close(); });
    loop.add_timer(Clock::now() + std::chrono::seconds(5), [&] { loop.stop(); });
    loop.run();
    EXPECT_TRUE(called);
    EXPECT_EQ(got, asio::error::operation_aborted);
    EXPECT_FALSE(s.is_open());
}

TEST(EventLoop, ConnectGoesOnToTheNextAddressWhenOneRefuses) {
    unsigned short closed_port = 0, open_port = 0;
    ::close(listener(closed_port));  // nobody listens there any more
    const int l = listener(open_port);
    Loop loop;
    Socket s(loop);
    error_code result = asio::error::would_block;
    s.async_connect({loopback(closed_port), loopback(open_port)}, IoCallback::of([&](error_code ec, std::size_t) {
                        result = ec;
                        loop.stop();
                    }));
    loop.add_timer(Clock::now() + std::chrono::seconds(5), [&] { loop.stop(); });
    loop.run();
    EXPECT_FALSE(result) << result.message();
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    ASSERT_EQ(::getpeername(s.fd(), reinterpret_cast<sockaddr*>(&peer), &len), 0);
    EXPECT_EQ(ntohs(peer.sin_port), open_port);
    ::close(l);
}

TEST(EventLoop, ConnectToNothingFails) {
    unsigned short closed_port = 0;
    ::close(listener(closed_port));
    Loop loop;
    Socket s(loop);
    error_code result;
    s.async_connect({loopback(closed_port)}, IoCallback::of([&](error_code ec, std::size_t) {
                        result = ec;
                        loop.stop();
                    }));
    loop.add_timer(Clock::now() + std::chrono::seconds(5), [&] { loop.stop(); });
    loop.run();
    EXPECT_EQ(result, asio::error::connection_refused);
}

// Gathering (Loop::set_gather). Each case reads from connections A, B and C: A (and B) have bytes
// before the loop starts, and C gets its bytes from a completion (A's, unless the case says), so
// C's bytes are there at once and only a pause can make the loop take them late. With a 100 ms
// window a pause is unmistakable.
namespace {

struct GatherCase {
    Pair a, b, c;
    Loop loop;
    StreamCount stream;
    Socket sa{loop, a.ours}, sb{loop, b.ours}, sc{loop, c.ours};
    char ba[16], bb[16], bc[16];
    Clock::time_point c_written, c_read;
    std::function<void()> on_a, on_b;  // what A's and B's completions do; by default A writes C

    // A 100 ms window (none: 0) and, unless `open_stream` is false, an open stream.
    explicit GatherCase(int window_ms = 100, bool open_stream = true) {
        loop.set_gather(std::chrono::milliseconds(window_ms));
        if (open_stream) stream.set(loop);
    }

    void write_c() {
        c_written = Clock::now();
        EXPECT_EQ(::write(c.theirs, "c", 1), 1);
    }
    // Runs the case: `with_b` puts bytes in B too (the first wake-up brings two events).
    void run(bool with_b) {
        if (!on_a) on_a = [this] { write_c(); };
        ASSERT_EQ(::write(a.theirs, "a", 1), 1);
        if (with_b) {
            ASSERT_EQ(::write(b.theirs, "b", 1), 1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // all in before the loop looks
        sa.async_read_some(ba, sizeof ba, IoCallback::of([this](error_code ec, std::size_t) {
                               EXPECT_FALSE(ec);
                               on_a();
                           }));
        sb.async_read_some(bb, sizeof bb, IoCallback::of([this](error_code, std::size_t) {
                               if (on_b) on_b();
                           }));
        sc.async_read_some(bc, sizeof bc, IoCallback::of([this](error_code ec, std::size_t) {
                               EXPECT_FALSE(ec);
                               c_read = Clock::now();
                               loop.stop();
                           }));
        loop.add_timer(Clock::now() + std::chrono::seconds(5), [this] { loop.stop(); });
        loop.run();
        ASSERT_NE(c_read, Clock::time_point{}) << "C was never read";
    }
    double c_waited_ms() const { return std::chrono::duration<double, std::milli>(c_read - c_written).count(); }
};

}  // namespace

TEST(EventLoop, WithAStreamOpenAWakeUpOfTwoEventsLetsTheWindowPassBeforeTheNextWait) {
    GatherCase g;
    g.run(true);
    EXPECT_GE(g.c_waited_ms(), 80.0);
}

TEST(EventLoop, WithoutAnOpenStreamTheLoopDoesNotPause) {
    GatherCase g(100, false);
    {
        StreamCount ended;  // a stream that has ended counts no more
        ended.set(g.loop);
    }
    g.run(true);
    EXPECT_LT(g.c_waited_ms(), 50.0);
}

TEST(EventLoop, AWakeUpOfOneEventDoesNotPause) {
    GatherCase g;
    g.run(false);
    EXPECT_LT(g.c_waited_ms(), 50.0);
}

TEST(EventLoop, ALoopWithNoTimeToSpareDoesNotPause) {
    GatherCase g;
    // A's completion keeps the loop busy for 10 ms, then puts bytes in B and in a fourth connection
    // D: the next wake-up (B and D, two events) finds the loop busy all the time since the one
    // before, and C, whose bytes B's completion writes, must be taken at once.
    Pair d;
    Socket sd{g.loop, d.ours};
    char bd[16];
    sd.async_read_some(bd, sizeof bd, IoCallback::of([](error_code, std::size_t) {}));
    g.on_a = [&] {
        const auto until = Clock::now() + std::chrono::milliseconds(10);
        while (Clock::now() < until) {}
        EXPECT_EQ(::write(g.b.theirs, "b", 1), 1);
        EXPECT_EQ(::write(d.theirs, "d", 1), 1);
    };
    g.on_b = [&] { g.write_c(); };
    g.run(false);
    EXPECT_LT(g.c_waited_ms(), 50.0);
}

TEST(EventLoop, WithoutAWindowTheLoopNeverPauses) {
    GatherCase g(0);
    g.run(true);
    EXPECT_LT(g.c_waited_ms(), 50.0);
}
