// SPDX-License-Identifier: MIT
// The floor for the proxy bench (tests/bench/proxy.sh): a TCP relay that does no HTTP at all.
// Each client connection gets its own connection to the upstream, and bytes are copied both ways
// as they arrive, with edge-triggered epoll and readiness tracked from its events (a short read
// means the socket is drained: no read that finds nothing). No parsing, no authentication, no
// timers: whatever a real proxy does costs more than this, so a cell this relay cannot win against
// nginx cannot be won by any proxy's efficiency; it is decided elsewhere (the upstream, wrk, the
// wake-up latency between cores).
//
//   relay LISTEN_PORT UPSTREAM_PORT      (both on 127.0.0.1; one thread; runs until killed)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct end {
    int fd;
    struct end* peer;
    int closed;
};

static int ep;

static void watch(struct end* e) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data = {.ptr = e}};
    epoll_ctl(ep, EPOLL_CTL_ADD, e->fd, &ev);
}

// All of buf to fd: at once as a rule (loopback buffers are large), else waiting for room.
static int send_all(int fd, const char* buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 1000);
        } else {
            return -1;
        }
    }
    return 0;
}

static void connect_pair(int client, int upstream_port) {
    int up = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(upstream_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (up < 0 || connect(up, (struct sockaddr*)&a, sizeof a) < 0) {
        close(client);
        if (up >= 0) close(up);
        return;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(up, F_SETFL, fcntl(up, F_GETFL) | O_NONBLOCK);
    struct end* c = calloc(1, sizeof *c);
    struct end* u = calloc(1, sizeof *u);
    c->fd = client;
    u->fd = up;
    c->peer = u;
    u->peer = c;
    watch(c);
    watch(u);
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: relay LISTEN_PORT UPSTREAM_PORT\n");
        return 2;
    }
    const int upstream_port = atoi(argv[2]);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr*)&a, sizeof a) < 0 || listen(ls, 4096) < 0) {
        perror("relay: listen");
        return 1;
    }
    ep = epoll_create1(0);
    struct end listener = {.fd = ls};
    struct epoll_event lev = {.events = EPOLLIN, .data = {.ptr = &listener}};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    static char buf[16384];
    struct epoll_event evs[512];
    struct end* dead[1024];
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1), ndead = 0;
        for (int i = 0; i < n; i++) {
            struct end* e = evs[i].data.ptr;
            if (e == &listener) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) connect_pair(c, upstream_port);
                continue;
            }
            if (e->closed) continue;
            for (;;) {
                ssize_t r = recv(e->fd, buf, sizeof buf, 0);
                if (r > 0 && send_all(e->peer->fd, buf, (size_t)r) == 0) {
                    // drained unless the read filled the buffer or the peer has also closed
                    if ((size_t)r < sizeof buf && !(evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) break;
                    continue;
                }
                if (r < 0 && errno == EAGAIN) break;
                // end of stream or an error, either way: close both ends, freed after this batch
                e->closed = e->peer->closed = 1;
                close(e->fd);
                close(e->peer->fd);
                if (ndead + 2 <= 1024) {
                    dead[ndead++] = e;
                    dead[ndead++] = e->peer;
                }
                break;
            }
        }
        for (int i = 0; i < ndead; i++) free(dead[i]);
    }
}
