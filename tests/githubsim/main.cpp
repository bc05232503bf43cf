// githubsim: a GitHub REST/GraphQL simulator for HubSync's tests, benchmarks and --sandbox.
// Prints "listening on http://127.0.0.1:PORT" as its first line, then serves until SIGTERM/SIGINT.

#include "simdata.h"
#include "simserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("githubsim"));
    std::signal(SIGTERM, [](int) { std::_Exit(0); });
    std::signal(SIGINT, [](int) { std::_Exit(0); });
    std::signal(SIGPIPE, SIG_IGN);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("GitHub API simulator for HubSync (REST, the GraphQL HubSync uses, control API under /_sim/)."));
    parser.addHelpOption();
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("HOST:PORT (port 0 = any free port)."), QStringLiteral("addr"),
                                    QStringLiteral("127.0.0.1:0"));
    const QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("small | medium | large (~1.2M records)."), QStringLiteral("name"),
                                     QStringLiteral("small"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Generator seed (same seed = same data)."), QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption repos(QStringLiteral("repos"), QStringLiteral("Repositories (overrides the dataset)."), QStringLiteral("n"));
    const QCommandLineOption issues(QStringLiteral("issues-per-repo"), QStringLiteral("Issues per repository."), QStringLiteral("n"));
    const QCommandLineOption pulls(QStringLiteral("prs-per-repo"), QStringLiteral("Pull requests per repository."), QStringLiteral("n"));
    const QCommandLineOption comments(QStringLiteral("comments-per-issue"), QStringLiteral("Comments per issue."), QStringLiteral("n"));
    const QCommandLineOption commits(QStringLiteral("commits-per-repo"), QStringLiteral("Commits per repository."), QStringLiteral("n"));
    const QCommandLineOption owner(QStringLiteral("owner"), QStringLiteral("Organisation login."), QStringLiteral("login"), QStringLiteral("octo-org"));
    const QCommandLineOption token(QStringLiteral("token"), QStringLiteral("Accepted token (repeatable; default ghp_sandbox)."), QStringLiteral("token"));
    const QCommandLineOption rateLimit(QStringLiteral("rate-limit"), QStringLiteral("Requests per window (default 5000)."), QStringLiteral("n"),
                                       QStringLiteral("5000"));
    const QCommandLineOption rateWindow(QStringLiteral("rate-window-seconds"), QStringLiteral("Rate window (default 3600)."), QStringLiteral("s"),
                                        QStringLiteral("3600"));
    const QCommandLineOption latency(QStringLiteral("latency-ms"), QStringLiteral("Delay every response."), QStringLiteral("ms"), QStringLiteral("0"));
    const QCommandLineOption failRate(QStringLiteral("fail-rate"), QStringLiteral("Fraction of requests answered 502."), QStringLiteral("f"),
                                      QStringLiteral("0"));
    const QCommandLineOption webhookUrl(QStringLiteral("webhook-url"), QStringLiteral("POST webhooks here."), QStringLiteral("url"));
    const QCommandLineOption webhookSecret(QStringLiteral("webhook-secret"), QStringLiteral("Webhook HMAC secret."), QStringLiteral("secret"));
    parser.addOptions({listen, dataset, seed, repos, issues, pulls, comments, commits, owner, token, rateLimit, rateWindow, latency, failRate,
                       webhookUrl, webhookSecret});
    parser.process(app);

    auto spec = githubsim::DatasetSpec::named(parser.value(dataset));
    if (!spec) {
        std::fprintf(stderr, "githubsim: unknown dataset '%s'\n", qPrintable(parser.value(dataset)));
        return 2;
    }
    const auto number = [&](const QCommandLineOption &o, int &target) {
        if (parser.isSet(o))
            target = qMax(0, parser.value(o).toInt());
    };
    number(repos, spec->repos);
    number(issues, spec->issues);
    number(pulls, spec->pulls);
    number(comments, spec->commentsPerIssue);
    number(commits, spec->commits);
    spec->commentsPerIssue = qMax(1, spec->commentsPerIssue);
    spec->seed = parser.value(seed).toULongLong();
    spec->owner = parser.value(owner);

    githubsim::ServerOptions options;
    for (const QString &t : parser.values(token))
        options.tokens.insert(t.toUtf8());
    if (options.tokens.isEmpty())
        options.tokens.insert("ghp_sandbox");
    options.rateLimit = parser.value(rateLimit).toLongLong();
    options.rateWindowSeconds = qMax(1, parser.value(rateWindow).toInt());
    options.latencyMs = parser.value(latency).toInt();
    options.failRate = parser.value(failRate).toDouble();
    options.webhookUrl = parser.value(webhookUrl);
    options.webhookSecret = parser.value(webhookSecret).toUtf8();

    const QString addr = parser.value(listen);
    const QString host = addr.section(QLatin1Char(':'), 0, -2);
    const quint16 wanted = quint16(addr.section(QLatin1Char(':'), -1).toUInt());
    githubsim::World world(*spec, QString());
    githubsim::Server server(world, options);
    const quint16 port = server.listen(QHostAddress(host), wanted);
    if (port == 0) {
        std::fprintf(stderr, "githubsim: cannot listen on %s\n", qPrintable(addr));
        return 1;
    }
    const QString base = QStringLiteral("http://%1:%2").arg(host).arg(port);
    world.setBaseUrl(base);
    std::printf("listening on %s\n", qPrintable(base));
    std::fflush(stdout);
    std::fprintf(stderr, "githubsim: %lld records in %d repositories\n", static_cast<long long>(spec->approximateRecords()), spec->repos);
    return QCoreApplication::exec();
}
