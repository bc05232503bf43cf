// The /_sim/ control API: counters, switches (limits, faults, webhooks, installation) and repositories.
// Object changes "as another user" live in control_content.cpp. No authentication: loopback test use.

#include "server.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace hubsync::githubsim {

namespace {

HttpResponse ok(const QJsonObject &o = {{QStringLiteral("ok"), true}}) {
    return Server::json(200, QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

HttpResponse Server::dispatchControl(const HttpRequest &request) {
    QString path = request.path;
    while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
        path.chop(1);
    QHash<QString, QString> params;
    bool known = false;
    const Route *route = match(request.method, path, &params, &known, true);
    if (!route)
        return message(known ? 405 : 404, known ? QStringLiteral("Method not allowed") : QStringLiteral("Not Found"));
    Identity controller;
    controller.kind = Identity::Kind::Pat;
    controller.user = 1;
    controller.canWrite = true;
    Context c{request, params, controller, -1, nullptr, {}, route->pattern};
    if (!request.body.trimmed().isEmpty()) {
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            return message(400, QStringLiteral("Problems parsing JSON"));
        c.body = doc.object();
    }
    c.identity.user = actorFrom(c.body, 1);
    if (params.contains(QStringLiteral("owner"))) {
        c.slot = m_world.findRepo(params.value(QStringLiteral("owner")), params.value(QStringLiteral("repo")));
        c.repo = m_world.repo(c.slot);
        if (!c.repo)
            return notFound();
    }
    return route->handler(c);
}

void Server::announceInstallationChange(const QList<int> &before) {
    const QList<int> after = installationSlots();
    QList<int> added, removed;
    for (const int s : after)
        if (!before.contains(s))
            added << s;
    for (const int s : before)
        if (!after.contains(s))
            removed << s;
    if (added.isEmpty() && removed.isEmpty())
        return;
    const auto send = [&](const char *action, const QList<int> &slots) {
        if (slots.isEmpty())
            return;
        QByteArray out;
        JsonWriter w(&out);
        w.beginObject().field("action", action);
        w.key("installation")
            .beginObject()
            .field("id", m_auth.installationId())
            .field("node_id", nodeId("Installation", m_auth.installationId()));
        w.key("account")
            .beginObject()
            .field("login", m_world.spec().owner)
            .field("id", ids::organization)
            .field("type", "Organization")
            .endObject();
        w.field("repository_selection", m_installationAll ? "all" : "selected")
            .field("app_id", m_auth.appId())
            .endObject();
        w.field("repository_selection", m_installationAll ? "all" : "selected");
        w.key("repositories_added").beginArray();
        if (qstrcmp(action, "added") == 0)
            for (const int s : slots)
                m_renderer.repositoryMinimal(w, *m_world.repo(s));
        w.endArray().key("repositories_removed").beginArray();
        if (qstrcmp(action, "removed") == 0)
            for (const int s : slots)
                m_renderer.repositoryMinimal(w, *m_world.repo(s));
        w.endArray().nullField("requester").key("sender");
        m_renderer.user(w, 0);
        w.endObject();
        emitWebhook(QStringLiteral("installation_repositories"), QString::fromLatin1(action), 0, out);
    };
    send("added", added);
    send("removed", removed);
}

QJsonObject Server::collectionCounts() const {
    qint64 repositories = 0, issues = 0, pulls = 0, comments = 0, commits = 0, releases = 0, labels = 0, refs = 0,
           discussions = 0, discussionComments = 0, reactions = 0;
    for (const int slot : m_world.liveRepos()) {
        const Repo &r = *m_world.repo(slot);
        ++repositories;
        ListQuery all;
        all.state = QStringLiteral("all");
        for (const qint64 number : *m_world.issueNumbers(r, all)) {
            const std::optional<Issue> issue = m_world.issue(r, number);
            if (!issue)
                continue;
            ++(issue->pull ? pulls : issues);
            reactions += m_world.issueReactions(r, number).size();
        }
        for (const qint64 local : *m_world.commentLocals(r, 0, false, true, -1)) {
            ++comments;
            reactions += m_world.commentReactions(r, local).size();
        }
        commits += r.commits;
        releases += r.releases.size();
        labels += r.labels.size();
        refs += r.refs.size();
        for (const Discussion &d : r.discussions) {
            if (d.deleted)
                continue;
            ++discussions;
            discussionComments += d.comments.size();
        }
    }
    return QJsonObject{{QStringLiteral("repository"), repositories},
                       {QStringLiteral("issue"), issues},
                       {QStringLiteral("pull_request"), pulls},
                       {QStringLiteral("comment"), comments},
                       {QStringLiteral("commit"), commits},
                       {QStringLiteral("release"), releases},
                       {QStringLiteral("label"), labels},
                       {QStringLiteral("ref"), refs},
                       {QStringLiteral("discussion"), discussions},
                       {QStringLiteral("discussion_comment"), discussionComments},
                       {QStringLiteral("reaction"), reactions}};
}

void Server::registerControlRoutes() {
    // ?counts=true adds "counts": the exact number of objects per collection as GitHub lists them now (run-time
    // changes included), named like HubSync's tables; it walks every thread and comment, so it is asked for
    // rather than sent with every readiness poll.
    addControl("GET", QStringLiteral("/_sim/health"), [this](Context &c) {
        QJsonObject health{{QStringLiteral("ok"), true},
                           {QStringLiteral("repositories"), int(m_world.liveRepos().size())},
                           {QStringLiteral("records"), m_world.spec().recordCount()},
                           {QStringLiteral("seed"), QString::number(m_world.spec().seed)}};
        if (c.request.query.queryItemValue(QStringLiteral("counts")) == QLatin1String("true"))
            health.insert(QStringLiteral("counts"), collectionCounts());
        return ok(health);
    });
    addControl("GET", QStringLiteral("/_sim/counters"), [this](Context &) {
        QJsonObject by;
        for (auto it = m_requestsByEndpoint.cbegin(); it != m_requestsByEndpoint.cend(); ++it)
            by.insert(it.key(), it.value());
        const double seconds = qMax<double>(0.001, double(m_uptime.elapsed()) / 1000.0);
        return ok(QJsonObject{{QStringLiteral("requests_total"), m_requestsTotal},
                              {QStringLiteral("requests_by_endpoint"), by},
                              {QStringLiteral("quota_spent"), m_quotaSpent},
                              {QStringLiteral("not_modified"), m_notModified},
                              {QStringLiteral("errors"), m_errors},
                              {QStringLiteral("faults_injected"), m_faultsInjected},
                              {QStringLiteral("secondary_limited"), m_secondaryLimited},
                              {QStringLiteral("primary_limited"), m_primaryLimited},
                              {QStringLiteral("items_served"), m_itemsServed},
                              {QStringLiteral("webhooks_sent"), m_webhooks.sentCount()},
                              {QStringLiteral("uptime_seconds"), seconds}});
    });
    addControl("POST", QStringLiteral("/_sim/counters/reset"), [this](Context &) {
        m_requestsByEndpoint.clear();
        m_requestsTotal = m_quotaSpent = m_notModified = m_errors = m_faultsInjected = m_secondaryLimited =
            m_primaryLimited = m_itemsServed = 0;
        m_uptime.restart();
        return ok();
    });

    addControl("GET", QStringLiteral("/_sim/app"), [this](Context &) {
        QJsonArray repos;
        for (const int s : installationSlots())
            repos.append(m_world.repo(s)->fullName());
        return ok(QJsonObject{
            {QStringLiteral("app_id"), m_auth.appId()},
            {QStringLiteral("slug"), m_options.appSlug},
            {QStringLiteral("installation_id"), m_auth.installationId()},
            {QStringLiteral("repository_selection"),
             m_installationAll ? QStringLiteral("all") : QStringLiteral("selected")},
            {QStringLiteral("repositories"), repos},
            {QStringLiteral("token_lifetime_seconds"), m_auth.tokenLifetimeSeconds()},
            {QStringLiteral("installed"), m_installed},
            {QStringLiteral("install_requested"), m_installRequested},
            {QStringLiteral("install_url"), QString(baseUrl() + QStringLiteral("/apps/") + m_options.appSlug +
                                                    QStringLiteral("/installations/new"))}});
    });
    addControl("PUT", QStringLiteral("/_sim/installation"), [this](Context &c) {
        if (c.body.contains(QStringLiteral("token_lifetime_seconds")))
            m_auth.setTokenLifetimeSeconds(qMax(1, c.body.value(QStringLiteral("token_lifetime_seconds")).toInt()));
        if (c.body.contains(QStringLiteral("can_write")))
            m_auth.setInstallationCanWrite(c.body.value(QStringLiteral("can_write")).toBool());
        // {"permissions": {"issues": "none", "contents": "read", ...}}: "none" takes a permission away.
        const QJsonObject permissions = c.body.value(QStringLiteral("permissions")).toObject();
        for (auto it = permissions.begin(); it != permissions.end(); ++it) {
            if (it.value().toString() == QStringLiteral("none"))
                m_deniedPermissions.insert(it.key());
            else
                m_deniedPermissions.remove(it.key());
        }
        return ok();
    });
    addControl("PUT", QStringLiteral("/_sim/installation/repositories"), [this](Context &c) {
        const QList<int> before = installationSlots();
        QList<int> slots = before;
        bool all = m_installationAll;
        const auto lookup = [this](const QJsonValue &v) {
            const QString full = v.toString();
            return m_world.findRepo(full.section(QLatin1Char('/'), 0, 0), full.section(QLatin1Char('/'), 1));
        };
        for (const QJsonValue &v : c.body.value(QStringLiteral("remove")).toArray()) {
            const int s = lookup(v);
            if (s < 0)
                return message(404, QStringLiteral("Unknown repository ") + v.toString());
            slots.removeAll(s);
            all = false;
        }
        for (const QJsonValue &v : c.body.value(QStringLiteral("add")).toArray()) {
            const int s = lookup(v);
            if (s < 0)
                return message(404, QStringLiteral("Unknown repository ") + v.toString());
            if (!slots.contains(s))
                slots << s;
        }
        if (c.body.value(QStringLiteral("all")).toBool())
            all = true;
        setInstallationRepos(slots, all);
        announceInstallationChange(before);
        return ok();
    });
    // An organization owner approves the pending install request: the App is installed with the
    // repositories the member asked for.
    addControl("POST", QStringLiteral("/_sim/installation/requests/approve"), [this](Context &) {
        if (!m_installRequested)
            return message(404, QStringLiteral("No install request is pending"));
        const QList<int> before = installationSlots();
        setInstallationRepos(m_requestedSlots, m_requestedAll);
        if (m_installed)
            announceInstallationChange(before);
        m_installed = true;
        m_installRequested = false;
        return ok();
    });
    addControl("PUT", QStringLiteral("/_sim/viewer"), [this](Context &c) {
        const QString role = c.body.value(QStringLiteral("org_role")).toString();
        if (role != QLatin1String("admin") && role != QLatin1String("member"))
            return message(422, QStringLiteral("org_role must be admin or member"));
        m_viewerOrgRole = role;
        return ok();
    });

    addControl("GET", QStringLiteral("/_sim/webhooks"), [this](Context &) {
        static const char *const modes[] = {"deliver", "drop", "delay"};
        return ok(QJsonObject{{QStringLiteral("url"), m_webhooks.url()},
                              {QStringLiteral("has_secret"), m_webhooks.hasSecret()},
                              {QStringLiteral("mode"), QString::fromLatin1(modes[int(m_webhooks.mode())])},
                              {QStringLiteral("delay_ms"), m_webhooks.delayMs()}});
    });
    addControl("PUT", QStringLiteral("/_sim/webhooks"), [this](Context &c) {
        if (c.body.contains(QStringLiteral("url")) || c.body.contains(QStringLiteral("secret"))) {
            const QString url = c.body.value(QStringLiteral("url")).toString(m_webhooks.url());
            if (!url.isEmpty() && !QUrl(url).isValid())
                return message(422, QStringLiteral("invalid url"));
            QByteArray secret = c.body.value(QStringLiteral("secret")).toString().toUtf8();
            m_webhooks.configure(url, secret);
        }
        const QString mode = c.body.value(QStringLiteral("mode")).toString(QStringLiteral("deliver"));
        m_webhooks.setMode(mode == QLatin1String("drop")    ? WebhookSender::Mode::Drop
                           : mode == QLatin1String("delay") ? WebhookSender::Mode::Delay
                                                            : WebhookSender::Mode::Deliver,
                           c.body.value(QStringLiteral("delay_ms")).toInt());
        return ok();
    });
    addControl("GET", QStringLiteral("/_sim/deliveries"), [this](Context &) {
        QJsonArray list;
        for (const QJsonObject &d : m_webhooks.summaries())
            list.append(d);
        return json(200, QJsonDocument(list).toJson(QJsonDocument::Compact));
    });
    addControl("GET", QStringLiteral("/_sim/deliveries/{id}"), [this](Context &c) {
        const auto d = m_webhooks.delivery(c.params.value(QStringLiteral("id")).toLongLong());
        return d ? ok(*d) : notFound();
    });

    addControl("PUT", QStringLiteral("/_sim/ratelimit"), [this](Context &c) {
        const QString resource = c.body.value(QStringLiteral("resource")).toString(QStringLiteral("core"));
        if (c.body.contains(QStringLiteral("limit")))
            m_limits.setLimit(resource, c.body.value(QStringLiteral("limit")).toInteger());
        if (c.body.contains(QStringLiteral("remaining")))
            m_limits.setRemaining(resource, c.body.value(QStringLiteral("remaining")).toInteger(), m_world.now());
        if (c.body.value(QStringLiteral("reset")).toBool())
            m_limits.resetAll();
        return ok();
    });
    addControl("POST", QStringLiteral("/_sim/secondary-limit"), [this](Context &c) {
        m_limits.armSecondary(c.body.value(QStringLiteral("requests")).toInt(1),
                              c.body.value(QStringLiteral("retry_after")).toInt(60),
                              c.body.value(QStringLiteral("status")).toInt(403));
        if (c.body.contains(QStringLiteral("max_concurrent")))
            m_limits.setMaxConcurrent(qMax(1, c.body.value(QStringLiteral("max_concurrent")).toInt()));
        return ok();
    });
    addControl("GET", QStringLiteral("/_sim/faults"), [this](Context &) {
        QJsonArray list;
        for (const Fault &f : std::as_const(m_faults))
            list.append(QJsonObject{{QStringLiteral("method"), f.method},
                                    {QStringLiteral("path"), f.path.pattern()},
                                    {QStringLiteral("count"), f.count},
                                    {QStringLiteral("kind"), f.kind},
                                    {QStringLiteral("status"), f.status},
                                    {QStringLiteral("delay_ms"), f.delayMs}});
        return ok(QJsonObject{{QStringLiteral("faults"), list},
                              {QStringLiteral("fail_rate"), m_failRate},
                              {QStringLiteral("graphql_node_budget"), m_graphqlNodeBudget},
                              {QStringLiteral("graphql_slow_nodes"), m_graphqlSlowNodes},
                              {QStringLiteral("graphql_slow_delay_ms"), m_graphqlSlowDelayMs},
                              {QStringLiteral("latency_ms"), m_latencyMs}});
    });
    addControl("PUT", QStringLiteral("/_sim/faults"), [this](Context &c) {
        QList<Fault> faults;
        for (const QJsonValue &v : c.body.value(QStringLiteral("faults")).toArray()) {
            const QJsonObject o = v.toObject();
            Fault f;
            f.method = o.value(QStringLiteral("method")).toString().toUpper();
            f.path = QRegularExpression(o.value(QStringLiteral("path")).toString(QStringLiteral(".*")));
            f.count = o.value(QStringLiteral("count")).toInt(1);
            f.kind = o.value(QStringLiteral("kind")).toString(QStringLiteral("status"));
            f.status = o.value(QStringLiteral("status")).toInt(502);
            f.delayMs = o.value(QStringLiteral("delay_ms")).toInt();
            static const QStringList kinds{QStringLiteral("status"), QStringLiteral("timeout"),
                                           QStringLiteral("truncate"), QStringLiteral("reset"),
                                           QStringLiteral("latency")};
            if (!f.path.isValid() || !kinds.contains(f.kind) || f.status < 100 || f.status > 599 || f.count == 0)
                return message(422, QStringLiteral("invalid fault: ") +
                                        QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
            faults << f;
        }
        m_faults = faults;
        if (c.body.contains(QStringLiteral("fail_rate")))
            m_failRate = qBound(0.0, c.body.value(QStringLiteral("fail_rate")).toDouble(), 1.0);
        if (c.body.contains(QStringLiteral("graphql_node_budget")))
            m_graphqlNodeBudget = qMax<qint64>(0, c.body.value(QStringLiteral("graphql_node_budget")).toInteger());
        if (c.body.contains(QStringLiteral("graphql_slow_nodes")))
            m_graphqlSlowNodes = qMax<qint64>(0, c.body.value(QStringLiteral("graphql_slow_nodes")).toInteger());
        if (c.body.contains(QStringLiteral("graphql_slow_delay_ms")))
            m_graphqlSlowDelayMs = qBound(0, c.body.value(QStringLiteral("graphql_slow_delay_ms")).toInt(), 600000);
        if (c.body.contains(QStringLiteral("latency_ms")))
            m_latencyMs = qBound(0, c.body.value(QStringLiteral("latency_ms")).toInt(), 600000);
        return ok();
    });
    addControl("DELETE", QStringLiteral("/_sim/faults"), [this](Context &) {
        m_faults.clear();
        m_failRate = 0;
        m_latencyMs = 0;
        m_graphqlNodeBudget = m_graphqlSlowNodes = 0;
        m_graphqlSlowDelayMs = 0;
        return ok();
    });

    addControl("POST", QStringLiteral("/_sim/repos"), [this](Context &c) {
        const QString owner = c.body.value(QStringLiteral("owner")).toString(m_world.spec().owner);
        const QString name = c.body.value(QStringLiteral("name")).toString();
        static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9._-]{1,100}$"));
        if (!valid.match(name).hasMatch() || !valid.match(owner).hasMatch())
            return message(422, QStringLiteral("name and owner must be GitHub names"));
        if (m_world.findRepo(owner, name) >= 0)
            return message(422, QStringLiteral("name already exists on this account"));
        const int slot = m_world.createRepo(owner, name, c.body.value(QStringLiteral("description")).toString(),
                                            c.body.value(QStringLiteral("private")).toBool(), c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.repository(w, *m_world.repo(slot));
        return json(201, out);
    });
    addControl("PATCH", QStringLiteral("/_sim/repos/{owner}/{repo}"), [this](Context &c) {
        const Repo &r = *c.repo;
        m_world.setRepoFeatures(c.slot, c.body.value(QStringLiteral("has_issues")).toBool(r.hasIssues),
                                c.body.value(QStringLiteral("has_discussions")).toBool(r.hasDiscussions),
                                c.identity.user);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.repository(w, *m_world.repo(c.slot));
        return json(200, out);
    });
    addControl("DELETE", QStringLiteral("/_sim/repos/{owner}/{repo}"), [this](Context &c) {
        m_world.deleteRepo(c.slot, c.identity.user);
        return noContent();
    });
}

} // namespace hubsync::githubsim
