// GitHub App endpoints (JWT-authenticated), installation tokens, webhook deliveries API, the app
// manifest flow and the web page flow that installs the App and redirects to its setup URL.

#include "server.h"

#include <QJsonDocument>
#include <QRandomGenerator>

namespace hubsync::githubsim {

namespace {

const QString appsDocs = QStringLiteral("https://docs.github.com/rest/apps/apps");

QByteArray htmlEscape(const QString &s) {
    return s.toHtmlEscaped().toUtf8();
}

HttpResponse html(int status, const QByteArray &body) {
    HttpResponse r;
    r.status = status;
    r.body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>GitHub simulator</title></head><body>\n" +
             body + "\n</body></html>\n";
    r.setHeader("Content-Type", "text/html; charset=utf-8");
    return r;
}

} // namespace

void Server::registerAppRoutes() {
    const auto needJwt = [](const Context &c) { return c.identity.kind == Identity::Kind::AppJwt; };
    const auto jwtRequired = [] {
        return message(401, QStringLiteral("A JSON web token could not be decoded"), appsDocs);
    };
    const auto writeApp = [this](JsonWriter &w) {
        w.beginObject()
            .field("id", m_auth.appId())
            .field("slug", m_options.appSlug)
            .field("node_id", nodeId("App", m_auth.appId()))
            .field("client_id",
                   QStringLiteral("Iv1.") + QString::number(m_auth.appId(), 16).rightJustified(16, QLatin1Char('0')));
        w.key("owner")
            .beginObject()
            .field("login", m_world.spec().owner)
            .field("id", ids::organization)
            .field("type", "Organization")
            .endObject();
        w.field("name", m_options.appSlug)
            .field("description", "HubSync's simulated GitHub App")
            .field("external_url", baseUrl())
            .field("html_url", baseUrl() + QStringLiteral("/apps/") + m_options.appSlug)
            .time("created_at", 1'600'000'000)
            .time("updated_at", 1'600'000'000);
        w.key("permissions")
            .beginObject()
            .field("contents", "read")
            .field("discussions", "read")
            .field("issues", m_auth.installationCanWrite() ? "write" : "read")
            .field("metadata", "read")
            .field("pull_requests", "read")
            .endObject();
        w.key("events").beginArray();
        for (const char *e : {"create", "delete", "discussion", "discussion_comment", "issue_comment", "issues",
                              "label", "pull_request", "push", "release"})
            w.value(e);
        w.endArray()
            .field("installations_count", (m_installed ? 1 : 0) + (m_options.personalInstallationId ? 1 : 0))
            .endObject();
    };
    // The organization's installation, or (personal) the one on the viewer's own account, which has no
    // repositories.
    const auto writeInstallation = [this](JsonWriter &w, bool personal = false) {
        const qint64 id = personal ? m_options.personalInstallationId : m_auth.installationId();
        const QString account = personal ? m_world.viewerLogin() : m_world.spec().owner;
        const qint64 accountId = personal ? m_world.userId(0) : ids::organization;
        const char *type = personal ? "User" : "Organization";
        w.beginObject().field("id", id);
        w.key("account")
            .beginObject()
            .field("login", account)
            .field("id", accountId)
            .field("node_id", nodeId(type, accountId))
            .field("type", type)
            .field("site_admin", false)
            .endObject();
        w.field("repository_selection", personal            ? "selected"
                                        : m_installationAll ? "all"
                                                            : "selected")
            .field("access_tokens_url", baseUrl() + QStringLiteral("/app/installations/%1/access_tokens").arg(id))
            .field("repositories_url", baseUrl() + QStringLiteral("/installation/repositories"))
            .field("html_url", baseUrl() + (personal ? QStringLiteral("/settings/installations/%1").arg(id)
                                                     : QStringLiteral("/organizations/%1/settings/installations/%2")
                                                           .arg(m_world.spec().owner)
                                                           .arg(id)))
            .field("app_id", m_auth.appId())
            .field("app_slug", m_options.appSlug)
            .field("target_id", accountId)
            .field("target_type", type);
        w.key("permissions")
            .beginObject()
            .field("contents", "read")
            .field("discussions", "read")
            .field("issues", m_auth.installationCanWrite() ? "write" : "read")
            .field("metadata", "read")
            .field("pull_requests", "read")
            .endObject();
        w.key("events")
            .beginArray()
            .value("issues")
            .value("issue_comment")
            .value("label")
            .value("discussion")
            .endArray();
        w.time("created_at", 1'600'000'000)
            .time("updated_at", 1'600'000'000)
            .nullField("single_file_name")
            .nullField("suspended_at")
            .nullField("suspended_by")
            .endObject();
    };

    addRoute("GET", QStringLiteral("/app"), [needJwt, jwtRequired, writeApp](Context &c) {
        if (!needJwt(c))
            return jwtRequired();
        QByteArray out;
        JsonWriter w(&out);
        writeApp(w);
        return json(200, out);
    });
    addRoute("GET", QStringLiteral("/app/installations"), [this, needJwt, jwtRequired, writeInstallation](Context &c) {
        if (!needJwt(c))
            return jwtRequired();
        // The personal installation first: it is older (and the one a careless client would take).
        QList<bool> listed;
        if (m_options.personalInstallationId)
            listed << true;
        if (m_installed)
            listed << false;
        return page(c, listed.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                writeInstallation(w, listed[i]);
        });
    });
    addRoute("GET", QStringLiteral("/app/installations/{id}"),
             [this, needJwt, jwtRequired, writeInstallation](Context &c) {
                 if (!needJwt(c))
                     return jwtRequired();
                 const qint64 id = c.params.value(QStringLiteral("id")).toLongLong();
                 const bool personal = m_options.personalInstallationId && id == m_options.personalInstallationId;
                 if (!personal && (!m_installed || id != m_auth.installationId()))
                     return notFound();
                 QByteArray out;
                 JsonWriter w(&out);
                 writeInstallation(w, personal);
                 return json(200, out);
             });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/installation"),
             [this, needJwt, jwtRequired, writeInstallation](Context &c) {
                 if (!needJwt(c))
                     return jwtRequired();
                 if (!m_installed || !c.repo || !installationSees(c.slot))
                     return notFound();
                 QByteArray out;
                 JsonWriter w(&out);
                 writeInstallation(w);
                 return json(200, out);
             });
    addRoute("POST", QStringLiteral("/app/installations/{id}/access_tokens"), [this, needJwt, jwtRequired](Context &c) {
        if (!needJwt(c))
            return jwtRequired();
        const qint64 id = c.params.value(QStringLiteral("id")).toLongLong();
        const bool personal = m_options.personalInstallationId && id == m_options.personalInstallationId;
        if (!personal && (!m_installed || id != m_auth.installationId()))
            return notFound();
        const Auth::MintedToken t = m_auth.mintInstallationToken(m_world.now(), id);
        QByteArray out;
        JsonWriter w(&out);
        w.beginObject().field("token", QString::fromLatin1(t.token)).time("expires_at", t.expiresAt);
        w.key("permissions")
            .beginObject()
            .field("contents", "read")
            .field("discussions", "read")
            .field("issues", m_auth.installationCanWrite() ? "write" : "read")
            .field("metadata", "read")
            .endObject();
        w.field("repository_selection", !personal && m_installationAll ? "all" : "selected");
        if (personal || !m_installationAll) {
            w.key("repositories").beginArray();
            for (const int s : personal ? QList<int>() : installationSlots())
                m_renderer.repository(w, *m_world.repo(s), false);
            w.endArray();
        }
        w.endObject();
        return json(201, out);
    });
    addRoute("DELETE", QStringLiteral("/installation/token"), [this](Context &c) {
        if (c.identity.kind != Identity::Kind::Installation)
            return message(403, QStringLiteral("Resource not accessible by integration"));
        const QByteArray header = c.request.header("Authorization");
        m_auth.revokeInstallationToken(header.mid(header.indexOf(' ') + 1).trimmed());
        return noContent();
    });

    addRoute("GET", QStringLiteral("/app/hook/deliveries"), [this, needJwt, jwtRequired](Context &c) {
        if (!needJwt(c))
            return jwtRequired();
        const QList<QJsonObject> list = m_webhooks.summaries();
        return page(c, list.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                w.value(QJsonValue(list[i]));
        });
    });
    addRoute("GET", QStringLiteral("/app/hook/deliveries/{id}"), [this, needJwt, jwtRequired](Context &c) {
        if (!needJwt(c))
            return jwtRequired();
        const auto d = m_webhooks.delivery(c.params.value(QStringLiteral("id")).toLongLong());
        if (!d)
            return notFound();
        QByteArray out;
        JsonWriter(&out).value(QJsonValue(*d));
        return json(200, out);
    });
    addRoute("POST", QStringLiteral("/app/hook/deliveries/{id}/attempts"), [this, needJwt, jwtRequired](Context &c) {
        if (!needJwt(c))
            return jwtRequired();
        if (!m_webhooks.redeliver(c.params.value(QStringLiteral("id")).toLongLong()))
            return notFound();
        return json(202, "{}");
    });

    // App manifest flow: /settings/apps/new?manifest=... redirects with a code, converted here once.
    addRoute("POST", QStringLiteral("/app-manifests/{code}/conversions"), [this](Context &c) {
        const QString code = c.params.value(QStringLiteral("code"));
        if (!m_manifestCodes.contains(code))
            return notFound();
        const QJsonObject manifest = m_manifestCodes.take(code);
        QString error;
        const qint64 appId = m_auth.appId() > 0 ? m_auth.appId() + 1 : 1001;
        const QByteArray pem = m_auth.generateAppKey(&error);
        if (pem.isEmpty())
            return message(500, error);
        m_auth.setApp(appId, m_auth.installationId(), m_auth.tokenLifetimeSeconds(), m_auth.installationCanWrite());
        m_options.appSlug = manifest.value(QStringLiteral("name"))
                                .toString(QStringLiteral("hubsync-sim"))
                                .toLower()
                                .replace(QLatin1Char(' '), QLatin1Char('-'));
        const QByteArray secret = QByteArray::number(QRandomGenerator::system()->generate64(), 16);
        m_webhooks.configure(manifest.value(QStringLiteral("hook_attributes"))
                                 .toObject()
                                 .value(QStringLiteral("url"))
                                 .toString(m_webhooks.url()),
                             secret);
        m_webhooks.setInstallationId(m_auth.installationId());
        // A new App has no installation until someone installs it; GitHub sends the installer to the
        // manifest's setup_url afterwards.
        m_installed = false;
        m_installRequested = false;
        if (const QString setup = manifest.value(QStringLiteral("setup_url")).toString(); QUrl(setup).isValid())
            m_options.setupUrl = setup;
        QByteArray out;
        JsonWriter w(&out);
        w.beginObject().field("id", appId).field("slug", m_options.appSlug).field("node_id", nodeId("App", appId));
        w.key("owner")
            .beginObject()
            .field("login", m_world.spec().owner)
            .field("id", ids::organization)
            .field("type", "Organization")
            .endObject();
        w.field("name", manifest.value(QStringLiteral("name")).toString(m_options.appSlug))
            .field("description", manifest.value(QStringLiteral("description")).toString())
            .field("external_url", manifest.value(QStringLiteral("url")).toString(baseUrl()))
            .field("html_url", baseUrl() + QStringLiteral("/apps/") + m_options.appSlug)
            .time("created_at", m_world.now())
            .time("updated_at", m_world.now())
            .field("permissions", manifest.value(QStringLiteral("default_permissions")))
            .field("events", manifest.value(QStringLiteral("default_events")))
            .field("client_id",
                   QStringLiteral("Iv1.") + QString::number(appId, 16).rightJustified(16, QLatin1Char('0')))
            .field("client_secret",
                   QString::fromLatin1(QByteArray::number(QRandomGenerator::system()->generate64(), 16).repeated(2)))
            .field("webhook_secret", QString::fromLatin1(secret))
            .field("pem", QString::fromLatin1(pem))
            .endObject();
        return json(201, out);
    });
}

// Web pages (no API auth): the App's install flow and the manifest flow's first step.
HttpResponse Server::webFlow(const HttpRequest &request, const QString &path) {
    const QString slug = path.section(QLatin1Char('/'), 2, 2);
    if (path == QLatin1String("/settings/apps/new")) {
        QUrlQuery form = request.method == "POST" ? QUrlQuery(QString::fromUtf8(request.body)) : request.query;
        // GitHub's manifest form posts to /settings/apps/new?state=...: the state rides on the URL.
        if (!form.hasQueryItem(QStringLiteral("state")) && request.query.hasQueryItem(QStringLiteral("state")))
            form.addQueryItem(QStringLiteral("state"), request.query.queryItemValue(QStringLiteral("state")));
        const QJsonObject manifest =
            QJsonDocument::fromJson(form.queryItemValue(QStringLiteral("manifest"), QUrl::FullyDecoded).toUtf8())
                .object();
        const QString redirect = manifest.value(QStringLiteral("redirect_url")).toString();
        if (manifest.isEmpty() || !QUrl(redirect).isValid() || redirect.isEmpty())
            return html(422, "<p>Invalid GitHub App configuration: the manifest needs a redirect_url.</p>");
        const QString code = QString::number(QRandomGenerator::system()->generate64(), 16);
        if (m_manifestCodes.size() > 100)
            m_manifestCodes.clear();
        m_manifestCodes.insert(code, manifest);
        QUrl target(redirect);
        QUrlQuery q(target);
        q.addQueryItem(QStringLiteral("code"), code);
        if (form.hasQueryItem(QStringLiteral("state")))
            q.addQueryItem(QStringLiteral("state"), form.queryItemValue(QStringLiteral("state")));
        target.setQuery(q);
        HttpResponse r = html(302, "<p>Redirecting</p>");
        r.setHeader("Location", target.toEncoded());
        return r;
    }
    if (slug != m_options.appSlug ||
        !path.startsWith(QStringLiteral("/apps/") + slug + QStringLiteral("/installations/new")))
        return html(404, "<p>Not Found</p>");

    const QString appName = m_options.appSlug;
    const bool permitted = m_viewerOrgRole != QLatin1String("member");
    const QString denied =
        QStringLiteral("Your GitHub user does not have permission to install the %1 GitHub app into this organization "
                       "with the repositories you've selected.")
            .arg(appName);
    const QUrlQuery form = request.method == "POST" ? QUrlQuery(QString::fromUtf8(request.body)) : request.query;
    if (request.method == "GET" && form.queryItemValue(QStringLiteral("confirm")) != QLatin1String("1")) {
        QByteArray body = "<h1>Install " + htmlEscape(appName) + "</h1>\n<form method=\"post\">\n<p>Install on <b>" +
                          htmlEscape(m_world.spec().owner) + "</b></p>\n";
        body += "<label><input type=\"radio\" name=\"repository_selection\" value=\"all\" checked> All "
                "repositories</label>\n";
        body += "<label><input type=\"radio\" name=\"repository_selection\" value=\"selected\"> Only select "
                "repositories</label>\n";
        for (const int s : m_world.liveRepos())
            body += "<label><input type=\"checkbox\" name=\"repository_ids\" value=\"" +
                    QByteArray::number(m_world.repo(s)->id) + "\"> " + htmlEscape(m_world.repo(s)->fullName()) +
                    "</label>\n";
        if (form.hasQueryItem(QStringLiteral("state")))
            body += "<input type=\"hidden\" name=\"state\" value=\"" +
                    htmlEscape(form.queryItemValue(QStringLiteral("state"))) + "\">\n";
        if (!permitted)
            body +=
                "<p class=\"flash-warn\">" + htmlEscape(denied) + "</p>\n<button type=\"submit\">Request</button>\n";
        else
            body += "<button type=\"submit\">Install</button>\n";
        return html(200, body + "</form>");
    }
    // Submitted: install (admin) or file a request (member), then go to the App's setup URL.
    QUrl target(m_options.setupUrl.isEmpty() ? baseUrl() + QStringLiteral("/apps/") + slug + QStringLiteral("/setup")
                                             : m_options.setupUrl);
    QUrlQuery q(target);
    if (permitted) {
        const bool all = form.queryItemValue(QStringLiteral("repository_selection")) != QLatin1String("selected");
        QList<int> slots;
        for (const QString &id : form.allQueryItemValues(QStringLiteral("repository_ids")))
            if (const int s = m_world.repoById(id.toLongLong()); s >= 0)
                slots << s;
        const QList<int> before = installationSlots();
        setInstallationRepos(slots, all);
        if (m_installed)
            announceInstallationChange(before);
        m_installed = true;
        q.addQueryItem(QStringLiteral("installation_id"), QString::number(m_auth.installationId()));
        q.addQueryItem(QStringLiteral("setup_action"), QStringLiteral("install"));
    } else {
        // GitHub files a request that the organization's owners are emailed about.
        m_installRequested = true;
        m_requestedAll = form.queryItemValue(QStringLiteral("repository_selection")) != QLatin1String("selected");
        m_requestedSlots.clear();
        for (const QString &id : form.allQueryItemValues(QStringLiteral("repository_ids")))
            if (const int s = m_world.repoById(id.toLongLong()); s >= 0)
                m_requestedSlots << s;
        q.addQueryItem(QStringLiteral("setup_action"), QStringLiteral("request"));
    }
    if (form.hasQueryItem(QStringLiteral("state")))
        q.addQueryItem(QStringLiteral("state"), form.queryItemValue(QStringLiteral("state")));
    target.setQuery(q);
    HttpResponse r = html(302, permitted ? QByteArray("<p>Installed</p>") : "<p>" + htmlEscape(denied) + "</p>");
    r.setHeader("Location", target.toEncoded());
    return r;
}

} // namespace hubsync::githubsim
