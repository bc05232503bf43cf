// The floor of any proxy (benchmark reference, not product code): a relay that copies bytes between each
// client and its own connection to PostgreSQL's Unix socket and does nothing else. One thread, epoll,
// non-blocking sockets, one read and one write per chunk, no buffering beyond the kernel's. What it costs
// over a direct connection is the price of a second hop (two more socket writes and wake-ups per
// round trip), which no proxy in the data path avoids. bench_proxy.sh runs it next to the HubSync proxy.
// Linux only (epoll); the benchmark is run on Linux.
// Usage: bench_null_relay SOCKET_DIR PORT   (prints "listening on PORT" once ready, runs until killed)

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

int nonBlocking(int fd) {
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The relay stays dumb on purpose: a write that does not take everything closes the pair (pgbench's
// messages are far below the socket buffers, so it never happens in the benchmark).
struct Pair {
    int client;
    int server;
};

} // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: bench_null_relay SOCKET_DIR PORT\n");
        return 2;
    }
    const std::string socketPath = std::string(argv[1]) + "/.s.PGSQL." + argv[2];
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 || listen(listener, 256) != 0) {
        std::perror("bench_null_relay: listen");
        return 1;
    }
    socklen_t length = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length);
    std::printf("listening on %u\n", unsigned(ntohs(address.sin_port)));
    std::fflush(stdout);

    const int poller = epoll_create1(0);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listener;
    epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
    std::unordered_map<int, int> peer; // fd -> the other side's fd
    const auto closePair = [&](int fd) {
        const auto it = peer.find(fd);
        if (it == peer.end())
            return;
        const int other = it->second;
        peer.erase(fd);
        peer.erase(other);
        close(fd);
        close(other);
    };
    char buffer[64 * 1024];
    epoll_event events[64];
    for (;;) {
        const int n = epoll_wait(poller, events, 64, -1);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == listener) {
                const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
                if (client < 0)
                    continue;
                setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                const int server = socket(AF_UNIX, SOCK_STREAM, 0);
                sockaddr_un unixAddress{};
                unixAddress.sun_family = AF_UNIX;
                std::strncpy(unixAddress.sun_path, socketPath.c_str(), sizeof unixAddress.sun_path - 1);
                if (connect(server, reinterpret_cast<sockaddr *>(&unixAddress), sizeof unixAddress) != 0) {
                    close(client);
                    close(server);
                    continue;
                }
                nonBlocking(server);
                peer[client] = server;
                peer[server] = client;
                for (const int side : {client, server}) {
                    event.events = EPOLLIN;
                    event.data.fd = side;
                    epoll_ctl(poller, EPOLL_CTL_ADD, side, &event);
                }
                continue;
            }
            const auto it = peer.find(fd);
            if (it == peer.end())
                continue;
            const ssize_t got = read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN)
                    continue;
                closePair(fd);
                continue;
            }
            if (send(it->second, buffer, size_t(got), MSG_NOSIGNAL) != got)
                closePair(fd);
        }
    }
}
