#include "core/config.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QSettings>
#include <QUrl>

#include <algorithm>

namespace hubsync {

namespace {

QString flag() {
    return {};
}

} // namespace

const QList<OptionSpec> &optionSpecs() {
    static const QList<OptionSpec> specs = {
        {QStringLiteral("service"), flag(), QStringLiteral("Run headless (no window) with the same engine."), {}},
        {QStringLiteral("config"),
         QStringLiteral("FILE"),
         QStringLiteral("Read options from an INI file (QSettings format, keys = option names)."),
         {}},
        {QStringLiteral("github-api-url"),
         QStringLiteral("URL"),
         QStringLiteral("GitHub REST API base URL (default https://api.github.com; GHES or the simulator)."),
         {}},
        {QStringLiteral("github-graphql-url"),
         QStringLiteral("URL"),
         QStringLiteral("GitHub GraphQL endpoint (default: derived from --github-api-url)."),
         {}},
        {QStringLiteral("github-ca-file"),
         QStringLiteral("FILE"),
         QStringLiteral("PEM CA certificates to trust for GitHub besides the system's (GHES with a private CA)."),
         {}},
        {QStringLiteral("token"), QStringLiteral("TOKEN"),
         QStringLiteral("Personal access token (prefer the GITHUB_TOKEN environment variable)."),
         QStringLiteral("GITHUB_TOKEN")},
        {QStringLiteral("app-id"), QStringLiteral("ID"), QStringLiteral("GitHub App id (App authentication)."), {}},
        {QStringLiteral("app-key"), QStringLiteral("FILE"), QStringLiteral("GitHub App private key (PEM file)."), {}},
        {QStringLiteral("installation-id"), QStringLiteral("ID"), QStringLiteral("GitHub App installation id."), {}},
        {QStringLiteral("repos"),
         QStringLiteral("LIST"),
         QStringLiteral("Comma-separated owner/name list (default: every repository the credentials can see)."),
         {}},
        {QStringLiteral("database"),
         QStringLiteral("DSN"),
         QStringLiteral("PostgreSQL conninfo or URI (default: an embedded cluster the app manages)."),
         {}},
        {QStringLiteral("schema"),
         QStringLiteral("NAME"),
         QStringLiteral("Schema for synced tables (default github)."),
         {}},
        {QStringLiteral("data-dir"),
         QStringLiteral("DIR"),
         QStringLiteral("Directory for the embedded database and state (default: the platform's app data dir)."),
         {}},
        {QStringLiteral("proxy-listen"),
         QStringLiteral("HOST:PORT"),
         QStringLiteral("Postgres proxy listen address (default 127.0.0.1:6544)."),
         {}},
        {QStringLiteral("proxy-tls-cert"),
         QStringLiteral("FILE"),
         QStringLiteral("PEM certificate for TLS between clients and the proxy (with --proxy-tls-key)."),
         {}},
        {QStringLiteral("proxy-tls-key"),
         QStringLiteral("FILE"),
         QStringLiteral("PEM private key for --proxy-tls-cert."),
         {}},
        {QStringLiteral("proxy-server-idle"),
         QStringLiteral("SECONDS"),
         QStringLiteral(
             "Keep a server connection a proxy client closed for this long, for the next client with "
             "the same user, database and options (default 600, as pgbouncer; 0 = off). Only connections the "
             "database admitted without a password are kept; DISCARD ALL resets them."),
         {}},
        {QStringLiteral("webhook-listen"),
         QStringLiteral("HOST:PORT"),
         QStringLiteral("Receive GitHub webhooks on this address (default: off, polling only)."),
         {}},
        {QStringLiteral("webhook-secret"),
         QStringLiteral("SECRET"),
         QStringLiteral("Webhook secret used to verify X-Hub-Signature-256."),
         {}},
        {QStringLiteral("keep-removed-repos"),
         flag(),
         QStringLiteral("Keep the rows of repositories removed from the App installation (default: drop them)."),
         {}},
        {QStringLiteral("poll-interval"),
         QStringLiteral("SECONDS"),
         QStringLiteral("Polling backstop interval in seconds (default 60)."),
         {}},
        {QStringLiteral("rest-only"),
         flag(),
         QStringLiteral("Diagnostics: fetch everything through GitHub's REST API, none through GraphQL "
                        "(more requests: one per issue or comment with reactions)."),
         {}},
        {QStringLiteral("points-per-minute"),
         QStringLiteral("REST,GRAPHQL[/SECONDS]"),
         QStringLiteral("Pace requests below GitHub's secondary limits in points per minute (default 900,2000; "
                        "0 turns pacing off for that API; /SECONDS sets another window)."),
         {}},
        {QStringLiteral("backfill-only"),
         flag(),
         QStringLiteral("Exit after the backfill: 0 when complete, non-zero on failure."),
         {}},
        {QStringLiteral("embedded-transport"),
         QStringLiteral("socket|tcp"),
         QStringLiteral("How HubSync reaches its embedded database: a private Unix socket (default where there are "
                        "Unix sockets), or TCP on 127.0.0.1 with a generated password kept in the secret store "
                        "(default elsewhere, e.g. Windows). Fixed when the database is created."),
         {}},
        {QStringLiteral("log-format"),
         QStringLiteral("text|json"),
         QStringLiteral("Log line format (default text)."),
         {}},
        {QStringLiteral("sandbox"),
         flag(),
         QStringLiteral("Start the bundled GitHub simulator with sample data and sync from it."),
         {}},
    };
    return specs;
}

QString envVarName(const QString &optionName) {
    QString name = optionName.toUpper();
    name.replace(QLatin1Char('-'), QLatin1Char('_'));
    return QStringLiteral("HUBSYNC_") + name;
}

QString Config::effectiveGraphqlUrl() const {
    if (!githubGraphqlUrl.isEmpty())
        return githubGraphqlUrl;
    QString base = githubApiUrl;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    // GitHub Enterprise Server serves REST at /api/v3 and GraphQL at /api/graphql.
    if (base.endsWith(QStringLiteral("/api/v3")))
        return base.left(base.size() - 2) + QStringLiteral("graphql");
    return base + QStringLiteral("/graphql");
}

std::optional<HostPort> parseHostPort(const QString &text) {
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0 || colon == text.size() - 1)
        return std::nullopt;
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    else if (host.contains(QLatin1Char(':')))
        return std::nullopt; // unbracketed IPv6
    bool ok = false;
    const uint port = text.mid(colon + 1).toUInt(&ok);
    if (!ok || port > 65535 || host.isEmpty())
        return std::nullopt;
    return HostPort{host, static_cast<quint16>(port)};
}

namespace {

bool isFlag(const OptionSpec &spec) {
    return spec.valueName.isEmpty();
}

std::optional<bool> parseBool(const QString &value) {
    const QString v = value.trimmed().toLower();
    if (v.isEmpty() || v == QStringLiteral("1") || v == QStringLiteral("true") || v == QStringLiteral("yes") ||
        v == QStringLiteral("on"))
        return true;
    if (v == QStringLiteral("0") || v == QStringLiteral("false") || v == QStringLiteral("no") ||
        v == QStringLiteral("off"))
        return false;
    return std::nullopt;
}

Error usage(const QString &message) {
    return Error::make(Error::Kind::Usage, message);
}

// Applies one resolved option value to the config; returns a usage error for malformed values.
Error apply(Config &config, const QString &name, const QString &value, const QString &origin) {
    const auto bad = [&](const QString &why) {
        return usage(QStringLiteral("invalid value for %1 (%2): %3").arg(name, origin, why));
    };
    const auto positiveId = [&](qint64 &target) -> Error {
        bool ok = false;
        const qint64 id = value.toLongLong(&ok);
        if (!ok || id <= 0)
            return bad(QStringLiteral("expected a positive integer"));
        target = id;
        return {};
    };
    const auto seconds = [&](int &target, int least) -> Error {
        bool ok = false;
        const int n = value.toInt(&ok);
        if (!ok || n < least || n > 86400)
            return bad(QStringLiteral("expected seconds between %1 and 86400").arg(least));
        target = n;
        return {};
    };
    const auto url = [&](QString &target) -> Error {
        const QUrl parsed(value, QUrl::StrictMode);
        if (!parsed.isValid() ||
            (parsed.scheme() != QStringLiteral("http") && parsed.scheme() != QStringLiteral("https")) ||
            parsed.host().isEmpty())
            return bad(QStringLiteral("expected an http(s) URL"));
        target = value;
        return {};
    };
    const auto listen = [&](QString &target) -> Error {
        if (!parseHostPort(value))
            return bad(QStringLiteral("expected HOST:PORT"));
        target = value;
        return {};
    };
    const auto boolean = [&](bool &target) -> Error {
        const auto b = parseBool(value);
        if (!b)
            return bad(QStringLiteral("expected true or false"));
        target = *b;
        return {};
    };

    if (name == QStringLiteral("service"))
        return boolean(config.service);
    if (name == QStringLiteral("sandbox"))
        return boolean(config.sandbox);
    if (name == QStringLiteral("keep-removed-repos"))
        return boolean(config.keepRemovedRepos);
    if (name == QStringLiteral("backfill-only"))
        return boolean(config.backfillOnly);
    if (name == QStringLiteral("rest-only"))
        return boolean(config.restOnly);
    if (name == QStringLiteral("config")) {
        config.configFile = value;
        return {};
    }
    if (name == QStringLiteral("github-api-url"))
        return url(config.githubApiUrl);
    if (name == QStringLiteral("github-graphql-url"))
        return url(config.githubGraphqlUrl);
    if (name == QStringLiteral("github-ca-file")) {
        config.githubCaFile = value;
        return {};
    }
    if (name == QStringLiteral("token")) {
        if (value.trimmed().isEmpty())
            return bad(QStringLiteral("empty token"));
        config.token = value.trimmed();
        return {};
    }
    if (name == QStringLiteral("app-id"))
        return positiveId(config.appId);
    if (name == QStringLiteral("installation-id"))
        return positiveId(config.installationId);
    if (name == QStringLiteral("app-key")) {
        config.appKeyFile = value;
        return {};
    }
    if (name == QStringLiteral("repos")) {
        QStringList repos;
        for (const QString &part : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString repo = part.trimmed();
            const QStringList bits = repo.split(QLatin1Char('/'));
            if (bits.size() != 2 || bits[0].isEmpty() || bits[1].isEmpty())
                return bad(QStringLiteral("'%1' is not owner/name").arg(repo));
            repos << repo;
        }
        config.repos = repos;
        return {};
    }
    if (name == QStringLiteral("database")) {
        config.database = value;
        return {};
    }
    if (name == QStringLiteral("schema")) {
        static const QRegularExpression identifier(QStringLiteral("^[a-z_][a-z0-9_]{0,62}$"));
        if (!identifier.match(value).hasMatch())
            return bad(QStringLiteral("expected a lower-case SQL identifier"));
        config.schema = value;
        return {};
    }
    if (name == QStringLiteral("data-dir")) {
        config.dataDir = value;
        return {};
    }
    if (name == QStringLiteral("proxy-listen"))
        return listen(config.proxyListen);
    if (name == QStringLiteral("proxy-tls-cert")) {
        config.proxyTlsCert = value;
        return {};
    }
    if (name == QStringLiteral("proxy-tls-key")) {
        config.proxyTlsKey = value;
        return {};
    }
    if (name == QStringLiteral("proxy-server-idle"))
        return seconds(config.proxyServerIdleSeconds, 0);
    if (name == QStringLiteral("webhook-listen"))
        return listen(config.webhookListen);
    if (name == QStringLiteral("webhook-secret")) {
        config.webhookSecret = value;
        return {};
    }
    if (name == QStringLiteral("poll-interval"))
        return seconds(config.pollIntervalSeconds, 1);
    if (name == QStringLiteral("points-per-minute")) {
        const qsizetype slash = value.indexOf(QLatin1Char('/'));
        const QStringList parts = value.left(slash).split(QLatin1Char(','));
        bool restOk = false;
        bool graphqlOk = parts.size() == 2;
        bool windowOk = true;
        const int rest = parts.value(0).trimmed().toInt(&restOk);
        const int graphql = parts.size() == 2 ? parts.at(1).trimmed().toInt(&graphqlOk) : 0;
        const int window = slash < 0 ? 60 : value.mid(slash + 1).trimmed().toInt(&windowOk);
        if (!restOk || !graphqlOk || !windowOk || rest < 0 || graphql < 0 || rest > 1'000'000 || graphql > 1'000'000 ||
            window < 1 || window > 3600)
            return bad(QStringLiteral("expected REST,GRAPHQL points per minute, e.g. 900,2000 (0 = no pacing), "
                                      "optionally /SECONDS for another window (1..3600)"));
        config.restPointsPerMinute = rest;
        config.graphqlPointsPerMinute = graphql;
        config.pointsWindowSeconds = window;
        return {};
    }
    if (name == QStringLiteral("embedded-transport")) {
        if (value == QStringLiteral("socket"))
            config.embeddedTcp = false;
        else if (value == QStringLiteral("tcp"))
            config.embeddedTcp = true;
        else
            return bad(QStringLiteral("expected socket or tcp"));
        return {};
    }
    if (name == QStringLiteral("log-format")) {
        if (value == QStringLiteral("text"))
            config.logFormat = Config::LogFormat::Text;
        else if (value == QStringLiteral("json"))
            config.logFormat = Config::LogFormat::Json;
        else
            return bad(QStringLiteral("expected text or json"));
        return {};
    }
    return usage(QStringLiteral("unknown option %1 (%2)").arg(name, origin));
}

Error validate(const Config &config) {
    if (config.usesAppAuth() &&
        ((config.appKeyFile.isEmpty() && config.appKeyPem.isEmpty()) || config.installationId == 0))
        return usage(QStringLiteral("--app-id needs --app-key and --installation-id"));
    if (!config.usesAppAuth() && (!config.appKeyFile.isEmpty() || config.installationId != 0))
        return usage(QStringLiteral("--app-key and --installation-id need --app-id"));
    if (config.usesAppAuth() && !config.token.isEmpty())
        return usage(QStringLiteral("give either --token or --app-id, not both"));
    if (!config.appKeyFile.isEmpty() && !QFileInfo(config.appKeyFile).isReadable())
        return usage(QStringLiteral("cannot read the App private key file %1").arg(config.appKeyFile));
    if (config.proxyTlsCert.isEmpty() != config.proxyTlsKey.isEmpty())
        return usage(QStringLiteral("--proxy-tls-cert and --proxy-tls-key go together"));
    for (const QString &file : {config.proxyTlsCert, config.proxyTlsKey, config.githubCaFile}) {
        if (!file.isEmpty() && !QFileInfo(file).isReadable())
            return usage(QStringLiteral("cannot read %1").arg(file));
    }
    if (config.backfillOnly && !config.service)
        return usage(QStringLiteral("--backfill-only is a --service option"));
    return {};
}

} // namespace

ConfigResult loadConfig(const QStringList &arguments, const QStringList &environment) {
    ConfigResult result;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "HubSync keeps GitHub data in PostgreSQL and writes issue edits back to GitHub.\n"
        "Every option can also be given as an environment variable HUBSYNC_<NAME> (e.g. HUBSYNC_POLL_INTERVAL)\n"
        "or as a key in the --config file. Exit codes: 0 ok, 2 bad usage/config, 3 GitHub auth/permission error,\n"
        "4 database error.\n"
        "hubsync psql [--data-dir DIR | --database DSN] [psql arguments] opens psql on HubSync's database, starting\n"
        "the embedded one while psql runs if it is stopped."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    QList<QCommandLineOption> options; // same order as optionSpecs()
    for (const OptionSpec &spec : optionSpecs()) {
        QString description = spec.description + QStringLiteral(" [env ") + envVarName(spec.name);
        if (!spec.extraEnv.isEmpty())
            description += QStringLiteral(", ") + spec.extraEnv;
        description += QLatin1Char(']');
        QCommandLineOption option(spec.name, description, spec.valueName);
        options << option;
        parser.addOption(option);
    }

    if (!parser.parse(arguments)) {
        result.error = usage(parser.errorText());
        return result;
    }
    if (parser.isSet(help)) {
        result.showHelp = true;
        // QCommandLineParser takes the program name from a running Q*Application; there is none yet (so
        // that --help never needs a display), and it would show whatever path the binary was started by.
        result.helpText = parser.helpText().replace(QStringLiteral("<executable_name>"), QStringLiteral("hubsync"));
        return result;
    }
    if (parser.isSet(version)) {
        result.showVersion = true;
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        result.error = usage(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
        return result;
    }

    QHash<QString, QString> env;
    for (const QString &entry : environment) {
        const qsizetype eq = entry.indexOf(QLatin1Char('='));
        if (eq > 0)
            env.insert(entry.left(eq), entry.mid(eq + 1));
    }

    // The config file location itself may come from the command line or the environment.
    QString configFile = parser.value(QStringLiteral("config"));
    if (configFile.isEmpty())
        configFile = env.value(envVarName(QStringLiteral("config")));

    QHash<QString, QPair<QString, QString>> values; // name -> (value, origin); later sources override
    if (!configFile.isEmpty()) {
        if (!QFileInfo(configFile).isReadable()) {
            result.error = usage(QStringLiteral("cannot read config file %1").arg(configFile));
            return result;
        }
        QSettings ini(configFile, QSettings::IniFormat);
        if (ini.status() != QSettings::NoError) {
            result.error = usage(QStringLiteral("config file %1 is not valid INI").arg(configFile));
            return result;
        }
        for (const QString &key : ini.allKeys()) {
            const QString name = key.startsWith(QStringLiteral("General/")) ? key.mid(8) : key;
            const bool known = std::any_of(optionSpecs().begin(), optionSpecs().end(),
                                           [&](const OptionSpec &s) { return s.name == name; });
            if (!known || name == QStringLiteral("config")) {
                result.error = usage(QStringLiteral("unknown key '%1' in %2").arg(key, configFile));
                return result;
            }
            // QSettings reads an unquoted "a,b" as a list; the options take the text as written.
            const QVariant raw = ini.value(key);
            const QString text =
                raw.typeId() == QMetaType::QStringList ? raw.toStringList().join(QLatin1Char(',')) : raw.toString();
            values.insert(name, {text, configFile});
        }
    }
    for (qsizetype i = 0; i < optionSpecs().size(); ++i) {
        const OptionSpec &spec = optionSpecs()[i];
        if (!spec.extraEnv.isEmpty() && env.contains(spec.extraEnv))
            values.insert(spec.name, {env.value(spec.extraEnv), spec.extraEnv});
        const QString var = envVarName(spec.name);
        if (env.contains(var))
            values.insert(spec.name, {env.value(var), var});
        const QCommandLineOption &option = options[i];
        if (parser.isSet(option))
            values.insert(spec.name, {isFlag(spec) ? QStringLiteral("true") : parser.value(option),
                                      QStringLiteral("--") + spec.name});
    }

    // Apply in the table's order so error messages are deterministic.
    for (const OptionSpec &spec : optionSpecs()) {
        const auto it = values.constFind(spec.name);
        if (it == values.cend())
            continue;
        if (Error e = apply(result.config, spec.name, it->first, it->second)) {
            result.error = e;
            return result;
        }
    }
    result.config.configFile = configFile;
    result.error = validate(result.config);
    return result;
}

} // namespace hubsync
