// The product's ProxyServer alone in front of a PostgreSQL, for bench_proxy.sh: the same options the engine
// gives it (Engine::startProxy), with write-through on as when HubSync has GitHub access (extended-protocol
// messages then wait for their Sync, so a segment that writes to issues can be run step by step), without
// a sync engine sharing its event loop, so that pgbench measures the proxy and nothing else. The GitHub
// client points at a closed loopback port: pgbench -S never writes to issues, so it is never called.
//
// Usage: bench_proxy_server UPSTREAM_HOST_OR_SOCKET_DIR UPSTREAM_PORT [MAX_CONNECTIONS]
// Listens on 127.0.0.1 at a free port, prints "listening on PORT" once ready, runs until killed.

#include "github/credentials.h"
#include "github/githubclient.h"
#include "proxy/epolldispatcher.h"
#include "proxy/proxyserver.h"
#include "proxy/writethrough.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QNetworkAccessManager>

#include <cstdio>

int main(int argc, char **argv) {
    // The product's proxy thread runs on this dispatcher (facade/proxyhost.cpp); HUBSYNC_PROXY_EVENT_LOOP=qt
    // measures Qt's own.
    if (QAbstractEventDispatcher *dispatcher = hubsync::proxy::createProxyEventDispatcher())
        QCoreApplication::setEventDispatcher(dispatcher);
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    bool portOk = false;
    bool maxOk = true;
    const quint16 upstreamPort = args.size() > 2 ? args.at(2).toUShort(&portOk) : 0;
    const int maxConnections = args.size() > 3 ? args.at(3).toInt(&maxOk) : 200;
    if (args.size() < 3 || args.size() > 4 || !portOk || !maxOk || maxConnections <= 0) {
        std::fprintf(stderr, "usage: bench_proxy_server UPSTREAM_HOST_OR_SOCKET_DIR UPSTREAM_PORT [MAX_CONNECTIONS]\n");
        return 2;
    }
    hubsync::proxy::ProxyOptions options;
    options.upstream.host = args.at(1);
    options.upstream.port = upstreamPort;
    options.maxConnections = maxConnections;
    // As the bench's pgbouncer: every server connection may be kept for the next client.
    options.serverPoolSize = maxConnections;
    QNetworkAccessManager network;
    hubsync::github::ClientOptions github;
    github.apiBaseUrl = QUrl(QStringLiteral("http://127.0.0.1:9"));
    hubsync::github::GitHubClient client(
        &network, std::make_shared<hubsync::github::PatCredentials>(QStringLiteral("unused")), github);
    hubsync::proxy::WriteThrough::Options writeOptions;
    writeOptions.conninfo =
        QStringLiteral("host=%1 port=%2 dbname=postgres user=postgres").arg(args.at(1)).arg(upstreamPort);
    hubsync::proxy::WriteThrough writer(client, writeOptions);
    if (const hubsync::Error e = writer.open()) {
        std::fprintf(stderr, "bench_proxy_server: %s\n", qPrintable(e.message));
        return 1;
    }
    hubsync::proxy::ProxyServer proxy(options); // after the writer: destroyed before it
    proxy.setWriteThrough(&writer);
    if (const hubsync::Error e = proxy.listen()) {
        std::fprintf(stderr, "bench_proxy_server: %s\n", qPrintable(e.message));
        return 1;
    }
    std::printf("listening on %u\n", unsigned(proxy.port()));
    std::fflush(stdout);
    return QCoreApplication::exec();
}
