// githubsim: the GitHub simulator for HubSync's tests, benchmarks and `hubsync --sandbox`.
// Prints "listening on http://HOST:PORT" as its first stdout line, then serves until SIGTERM/SIGINT.

#include "server.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSocketNotifier>

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace {

int signalPipe[2] = {-1, -1};

void onSignal(int) {
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(signalPipe[1], &c, 1);
}

int fail(const QString &message) {
    std::fprintf(stderr, "githubsim: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char **argv) {
    using namespace hubsync::githubsim;
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("githubsim"));
    std::signal(SIGPIPE, SIG_IGN);

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "A faithful fake of GitHub's REST API (plus the GraphQL HubSync uses) for tests, benchmarks and --sandbox.\n"
        "REST at the root, GraphQL at /graphql, control API at /_sim/, App install flow at "
        "/apps/SLUG/installations/new.\n"
        "Without --token/--read-only-token the token 'ghp_sandbox' is accepted. See tests/githubsim/README.md."));
    p.addHelpOption();
    struct Opt {
        const char *name;
        const char *help;
        const char *value;
    };
    const QList<Opt> opts{
        {"listen", "HOST:PORT to listen on (port 0: any free port). Default 127.0.0.1:0.", "addr"},
        {"tls-cert", "Serve HTTPS with this PEM certificate (with --tls-key).", "file"},
        {"tls-key", "PEM private key for --tls-cert.", "file"},
        {"dataset", "small | medium | large (~1.1M records). Default small.", "name"},
        {"seed", "Generator seed; the same seed gives byte-identical data. Default 1.", "n"},
        {"owner", "Organisation that owns the generated repositories. Default octo-org.", "login"},
        {"repos", "Generated repositories (overrides the dataset's).", "n"},
        {"issues-per-repo", "Issues per repository.", "n"},
        {"prs-per-repo", "Pull requests per repository.", "n"},
        {"comments-per-issue", "Conversation comments per issue and pull request.", "n"},
        {"commits-per-repo", "Commits per repository.", "n"},
        {"releases-per-repo", "Releases (and tags) per repository.", "n"},
        {"labels-per-repo", "Labels per repository.", "n"},
        {"branches-per-repo", "Branches per repository.", "n"},
        {"discussions-per-repo", "Discussions per repository.", "n"},
        {"comments-per-discussion", "Comments per discussion.", "n"},
        {"users", "Size of the generated user pool.", "n"},
        {"reaction-percent", "Share of issues/PRs with reactions (comments: half of it).", "n"},
        {"token", "Accepted personal access token (repeatable).", "token"},
        {"read-only-token", "Token that reads but gets 403 on writes (repeatable).", "token"},
        {"viewer", "Login of the user the tokens belong to. Default sim-user.", "login"},
        {"app-id", "Enable the GitHub App with this id.", "id"},
        {"app-public-key", "PEM file with the App's public key (or its private key).", "file"},
        {"app-key-out", "Generate the App's RSA-2048 key and write the PKCS#1 private PEM here (mode 0600).", "file"},
        {"app-slug", "The App's slug. Default hubsync-sim.", "slug"},
        {"installation-id", "Installation id. Default 1.", "id"},
        {"personal-installation-id",
         "A second installation of the App, on the viewer's own account and with no repositories.", "id"},
        {"installation-repos", "Comma-separated owner/name the installation may see. Default all.", "list"},
        {"token-lifetime-seconds", "Installation token lifetime. Default 3600.", "s"},
        {"installation-read-only", "The installation's tokens cannot write (403 on writes).", nullptr},
        {"viewer-org-role", "admin | member: members can only request the App (setup_action=request). Default admin.",
         "role"},
        {"setup-url", "The App's setup URL the install flow redirects to.", "url"},
        {"webhook-url", "POST webhooks here.", "url"},
        {"webhook-secret", "Webhook HMAC secret (or env GITHUBSIM_WEBHOOK_SECRET).", "secret"},
        {"rate-limit", "Primary REST budget per window. Default 5000.", "n"},
        {"graphql-rate-limit", "GraphQL points per window. Default 5000.", "n"},
        {"rate-window-seconds", "Rate-limit window. Default 3600.", "s"},
        {"max-concurrent", "More concurrent requests than this get a secondary limit. Default 100.", "n"},
        {"points-per-minute",
         "Secondary limit: REST,GRAPHQL points per window (GitHub: 900,2000; a read costs 1, a change 5). "
         "Default 0,0 (none).",
         "r,g"},
        {"points-window-seconds", "The window of --points-per-minute. Default 60.", "s"},
        {"latency-ms", "Delay every API answer.", "ms"},
        {"fail-rate", "Fraction (0..1) of API requests answered 500/502/503.", "f"},
        {"fault-seed", "Seed for --fail-rate (default: random).", "n"}};
    for (const Opt &o : opts) {
        QCommandLineOption option(QString::fromLatin1(o.name), QString::fromLatin1(o.help));
        if (o.value)
            option.setValueName(QString::fromLatin1(o.value));
        p.addOption(option);
    }
    p.process(app);
    const auto val = [&](const char *name) { return p.value(QString::fromLatin1(name)); };
    const auto set = [&](const char *name) { return p.isSet(QString::fromLatin1(name)); };

    auto spec = DatasetSpec::named(set("dataset") ? val("dataset") : QStringLiteral("small"));
    if (!spec)
        return fail(QStringLiteral("unknown dataset '%1' (small, medium, large)").arg(val("dataset")));
    bool allNumbers = true;
    const auto number = [&](const char *name, int &target) {
        if (!set(name))
            return;
        bool ok = false;
        const int n = val(name).toInt(&ok);
        allNumbers = allNumbers && ok;
        target = n;
    };
    number("repos", spec->repos);
    number("issues-per-repo", spec->issuesPerRepo);
    number("prs-per-repo", spec->pullsPerRepo);
    number("comments-per-issue", spec->commentsPerIssue);
    number("commits-per-repo", spec->commitsPerRepo);
    number("releases-per-repo", spec->releasesPerRepo);
    number("labels-per-repo", spec->labelsPerRepo);
    number("branches-per-repo", spec->branchesPerRepo);
    number("discussions-per-repo", spec->discussionsPerRepo);
    number("comments-per-discussion", spec->commentsPerDiscussion);
    number("users", spec->users);
    number("reaction-percent", spec->reactionPercent);
    if (!allNumbers)
        return fail(QStringLiteral("dataset sizes must be integers"));
    if (set("seed"))
        spec->seed = val("seed").toULongLong();
    if (set("owner"))
        spec->owner = val("owner");
    if (const QString problem = spec->validate(); !problem.isEmpty())
        return fail(problem);

    ServerOptions o;
    o.dataset = *spec;
    for (const QString &t : p.values(QStringLiteral("token")))
        o.tokens << t.toUtf8();
    for (const QString &t : p.values(QStringLiteral("read-only-token")))
        o.readOnlyTokens << t.toUtf8();
    if (set("viewer"))
        o.viewerLogin = val("viewer");
    o.appId = val("app-id").toLongLong();
    if (set("app-public-key")) {
        QFile f(val("app-public-key"));
        if (!f.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read %1").arg(f.fileName()));
        o.appPublicKeyPem = f.read(64 * 1024);
    }
    o.generateAppKey = set("app-key-out");
    if (o.appId > 0 && !o.generateAppKey && o.appPublicKeyPem.isEmpty())
        return fail(QStringLiteral("--app-id needs --app-public-key FILE or --app-key-out FILE"));
    if (set("app-slug"))
        o.appSlug = val("app-slug");
    if (set("installation-id"))
        o.installationId = val("installation-id").toLongLong();
    if (set("personal-installation-id"))
        o.personalInstallationId = val("personal-installation-id").toLongLong();
    if (set("installation-repos"))
        o.installationRepos = val("installation-repos").split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (set("token-lifetime-seconds"))
        o.tokenLifetimeSeconds = qMax(1, val("token-lifetime-seconds").toInt());
    o.installationCanWrite = !set("installation-read-only");
    if (set("viewer-org-role"))
        o.viewerOrgRole = val("viewer-org-role");
    o.setupUrl = val("setup-url");
    o.webhookUrl = val("webhook-url");
    o.webhookSecret = set("webhook-secret") ? val("webhook-secret").toUtf8() : qgetenv("GITHUBSIM_WEBHOOK_SECRET");
    if (set("rate-limit"))
        o.rateLimit = val("rate-limit").toLongLong();
    if (set("graphql-rate-limit"))
        o.graphqlRateLimit = val("graphql-rate-limit").toLongLong();
    if (set("rate-window-seconds"))
        o.rateWindowSeconds = qMax(1, val("rate-window-seconds").toInt());
    if (set("max-concurrent"))
        o.maxConcurrent = qMax(1, val("max-concurrent").toInt());
    if (set("points-per-minute")) {
        const QStringList parts = val("points-per-minute").split(QLatin1Char(','));
        o.restPointsPerMinute = qMax(0, parts.value(0).toInt());
        o.graphqlPointsPerMinute = qMax(0, parts.value(1).toInt());
    }
    if (set("points-window-seconds"))
        o.pointsWindowSeconds = qMax(1, val("points-window-seconds").toInt());
    o.latencyMs = qBound(0, val("latency-ms").toInt(), 600000);
    o.failRate = qBound(0.0, val("fail-rate").toDouble(), 1.0);
    o.faultSeed = val("fault-seed").toULongLong();

    const QString listen = set("listen") ? val("listen") : QStringLiteral("127.0.0.1:0");
    const qsizetype colon = listen.lastIndexOf(QLatin1Char(':'));
    bool portOk = false;
    const uint port = listen.mid(colon + 1).toUInt(&portOk);
    QHostAddress address(listen.left(colon).remove(QLatin1Char('[')).remove(QLatin1Char(']')));
    if (colon <= 0 || !portOk || port > 65535 || address.isNull())
        return fail(QStringLiteral("--listen needs HOST:PORT, e.g. 127.0.0.1:0"));

    QElapsedTimer timer;
    timer.start();
    Server server(o);
    if (!server.startupError().isEmpty())
        return fail(server.startupError());
    if (set("app-key-out")) {
        QFile key(val("app-key-out"));
        if (!key.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            !key.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
            key.write(server.appPrivateKeyPem()) < 0)
            return fail(QStringLiteral("cannot write %1").arg(key.fileName()));
    }
    QString error;
    if (set("tls-cert") != set("tls-key"))
        return fail(QStringLiteral("--tls-cert and --tls-key go together"));
    if (!server.listen(address, quint16(port), &error, val("tls-cert"), val("tls-key")))
        return fail(QStringLiteral("cannot listen on %1: %2").arg(listen, error));
    std::printf("listening on %s\n", qPrintable(server.baseUrl()));
    std::fflush(stdout);
    std::fprintf(stderr, "githubsim: %lld records in %d repositories (dataset seed %llu) ready in %lld ms\n",
                 static_cast<long long>(spec->recordCount()), spec->repos, static_cast<unsigned long long>(spec->seed),
                 static_cast<long long>(timer.elapsed()));

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, &app);
        QObject::connect(notifier, &QSocketNotifier::activated, &app, [] { QCoreApplication::quit(); });
        std::signal(SIGTERM, onSignal);
        std::signal(SIGINT, onSignal);
    }
    return QCoreApplication::exec();
}
