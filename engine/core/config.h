#pragma once

#include "core/errors.h"

#include <QString>
#include <QStringList>

#include <optional>

class QCommandLineParser;

namespace hubsync {

// Everything the engine needs to run, resolved from (highest precedence first) the command line,
// HUBSYNC_<NAME> environment variables, the --config INI file and built-in defaults.
struct Config {
    enum class LogFormat { Text, Json };

    bool service = false;
    bool sandbox = false;
    bool backfillOnly = false;
    QString configFile;

    QString githubApiUrl = QStringLiteral("https://api.github.com");
    QString githubGraphqlUrl; // derived from githubApiUrl when empty
    QString githubCaFile;     // extra PEM roots to trust (GHES with a private CA); empty = the system's only
    QString token;            // personal access token (never logged)
    qint64 appId = 0;
    QString appKeyFile;
    QByteArray appKeyPem; // the App key itself, from the OS keychain (never logged); used instead of appKeyFile
    qint64 installationId = 0;
    QStringList repos; // owner/name; empty = everything the credentials can see

    QString database; // libpq conninfo or URI; empty = embedded local cluster
    QString schema = QStringLiteral("github");
    QString dataDir; // empty = the platform's application data directory

    QString proxyListen = QStringLiteral("127.0.0.1:6544");
    QString proxyTlsCert; // PEM files; both empty = no TLS toward proxy clients
    QString proxyTlsKey;
    int proxyServerIdleSeconds = 600; // 0 = the proxy closes each server connection with its client
    QString webhookListen;            // empty = no webhook receiver (polling only)
    QString webhookSecret;            // never logged
    bool keepRemovedRepos = false;    // installation_repositories.removed: keep the rows (sync stops either way)
    int pollIntervalSeconds = 60;
    bool restOnly = false; // diagnostics: no GraphQL where REST can do the work
    // GitHub's secondary limits on points per minute (REST: a GET costs 1, a change 5; GraphQL: a query
    // 1, a mutation 5): HubSync paces itself below them. 0 = no pacing of that pool.
    int restPointsPerMinute = 900;
    int graphqlPointsPerMinute = 2000;
    int pointsWindowSeconds = 60; // GitHub's is a minute; shorter only to test the pacing
    LogFormat logFormat = LogFormat::Text;
#ifdef Q_OS_UNIX
    bool embeddedTcp = false; // the embedded cluster over TCP loopback with a password, not a Unix socket
#else
    bool embeddedTcp = true;
#endif

    [[nodiscard]] bool usesAppAuth() const {
        return appId != 0;
    }
    [[nodiscard]] QString effectiveGraphqlUrl() const;
};

// Describes one option of the command-line contract; the same table drives --help, the environment
// variable names and the INI keys, so the three can never disagree.
struct OptionSpec {
    QString name;        // long option name without dashes, e.g. "github-api-url"
    QString valueName;   // empty for flags
    QString description; // one line for --help
    QString extraEnv;    // an additional environment variable, e.g. GITHUB_TOKEN for --token
};

const QList<OptionSpec> &optionSpecs();
QString envVarName(const QString &optionName); // "poll-interval" -> "HUBSYNC_POLL_INTERVAL"

struct ConfigResult {
    Config config;
    Error error;           // Kind::Usage with a one-line message when the input is bad
    bool showHelp = false; // --help was given; helpText holds the text
    bool showVersion = false;
    QString helpText;
};

// Parses arguments (argv[0] first) and merges environment and config file. Pure: reads the process
// environment through the given list of KEY=VALUE strings so tests can control it.
ConfigResult loadConfig(const QStringList &arguments, const QStringList &environment);

// Parses "host:port" (IPv6 in brackets). Returns std::nullopt on malformed input.
struct HostPort {
    QString host;
    quint16 port = 0;
};
std::optional<HostPort> parseHostPort(const QString &text);

} // namespace hubsync
