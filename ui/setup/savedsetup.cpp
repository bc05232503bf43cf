#include "ui/setup/savedsetup.h"

#include "core/secretstore.h"

#include <QSettings>

namespace hubsync {

namespace {

const QString group = QStringLiteral("setup");

QString authName(SavedSetup::Auth auth) {
    switch (auth) {
    case SavedSetup::Auth::App:
        return QStringLiteral("app");
    case SavedSetup::Auth::Token:
        return QStringLiteral("token");
    case SavedSetup::Auth::None:
        break;
    }
    return QStringLiteral("none");
}

std::optional<QByteArray> need(SecretStore &store, const QString &name, const QString &what, Error *error) {
    std::optional<QByteArray> value = store.read(name, error);
    if (*error)
        return std::nullopt;
    if (!value || value->isEmpty()) {
        *error =
            Error::make(Error::Kind::Usage,
                        QStringLiteral("%1 is missing from %2; run the setup again").arg(what, store.description()));
        return std::nullopt;
    }
    return value;
}

} // namespace

namespace secretnames {
QString appPrivateKey(qint64 appId) {
    return QStringLiteral("github-app-%1/private-key").arg(appId);
}
QString appWebhookSecret(qint64 appId) {
    return QStringLiteral("github-app-%1/webhook-secret").arg(appId);
}
QString appClientSecret(qint64 appId) {
    return QStringLiteral("github-app-%1/client-secret").arg(appId);
}
QString token() {
    return QStringLiteral("github-token");
}
QString databaseConninfo() {
    return QStringLiteral("database-conninfo");
}
} // namespace secretnames

SavedSetup SavedSetup::load(QSettings &settings) {
    SavedSetup s;
    settings.beginGroup(group);
    s.complete = settings.value(QStringLiteral("complete")).toBool();
    s.githubApiUrl = settings.value(QStringLiteral("github-api-url")).toString();
    s.githubWebUrl = settings.value(QStringLiteral("github-web-url")).toString();
    const QString auth = settings.value(QStringLiteral("auth")).toString();
    s.auth = auth == QLatin1String("app") ? Auth::App : auth == QLatin1String("token") ? Auth::Token : Auth::None;
    s.appId = settings.value(QStringLiteral("app-id")).toLongLong();
    s.appSlug = settings.value(QStringLiteral("app-slug")).toString();
    s.appHtmlUrl = settings.value(QStringLiteral("app-html-url")).toString();
    s.installationId = settings.value(QStringLiteral("installation-id")).toLongLong();
    s.login = settings.value(QStringLiteral("login")).toString();
    s.externalDatabase = settings.value(QStringLiteral("external-database")).toBool();
    settings.endGroup();
    return s;
}

void SavedSetup::save(QSettings &settings) const {
    settings.beginGroup(group);
    settings.remove(QString());
    settings.setValue(QStringLiteral("complete"), complete);
    settings.setValue(QStringLiteral("github-api-url"), githubApiUrl);
    settings.setValue(QStringLiteral("github-web-url"), githubWebUrl);
    settings.setValue(QStringLiteral("auth"), authName(auth));
    if (auth == Auth::App) {
        settings.setValue(QStringLiteral("app-id"), appId);
        settings.setValue(QStringLiteral("app-slug"), appSlug);
        settings.setValue(QStringLiteral("app-html-url"), appHtmlUrl);
        settings.setValue(QStringLiteral("installation-id"), installationId);
    }
    if (auth == Auth::Token)
        settings.setValue(QStringLiteral("login"), login);
    settings.setValue(QStringLiteral("external-database"), externalDatabase);
    settings.endGroup();
    settings.sync();
}

Error storeSetupSecrets(SecretStore &store, const SavedSetup &setup, const SetupSecrets &secrets) {
    QList<QPair<QString, QByteArray>> writes;
    if (setup.auth == SavedSetup::Auth::App) {
        writes << qMakePair(secretnames::appPrivateKey(setup.appId), secrets.appPrivateKey);
        if (!secrets.webhookSecret.isEmpty())
            writes << qMakePair(secretnames::appWebhookSecret(setup.appId), secrets.webhookSecret);
        if (!secrets.clientSecret.isEmpty())
            writes << qMakePair(secretnames::appClientSecret(setup.appId), secrets.clientSecret);
    } else if (setup.auth == SavedSetup::Auth::Token) {
        writes << qMakePair(secretnames::token(), secrets.token);
    }
    if (setup.externalDatabase)
        writes << qMakePair(secretnames::databaseConninfo(), secrets.databaseConninfo);
    else if (Error e = store.remove(secretnames::databaseConninfo()))
        return e;
    for (const auto &[name, value] : writes) {
        if (Error e = store.write(name, value))
            return e;
    }
    return {};
}

Error applySavedSetup(const SavedSetup &setup, SecretStore &store, Config *config) {
    if (!setup.complete)
        return Error::make(Error::Kind::Usage, QStringLiteral("the setup was not completed"));
    Error error;
    if (!setup.githubApiUrl.isEmpty()) {
        config->githubApiUrl = setup.githubApiUrl;
        config->githubGraphqlUrl.clear();
    }
    if (setup.auth == SavedSetup::Auth::App) {
        const auto key =
            need(store, secretnames::appPrivateKey(setup.appId), QStringLiteral("The App's private key"), &error);
        if (!key)
            return error;
        // The key goes to the engine in memory: it never touches a disk outside the keychain.
        config->appId = setup.appId;
        config->appKeyPem = *key;
        config->appKeyFile.clear();
        config->installationId = setup.installationId;
        config->token.clear();
        const std::optional<QByteArray> secret = store.read(secretnames::appWebhookSecret(setup.appId), &error);
        if (error)
            return error;
        if (secret && config->webhookSecret.isEmpty())
            config->webhookSecret = QString::fromUtf8(*secret);
    } else if (setup.auth == SavedSetup::Auth::Token) {
        const auto token = need(store, secretnames::token(), QStringLiteral("The GitHub token"), &error);
        if (!token)
            return error;
        config->token = QString::fromUtf8(*token);
        config->appId = 0;
    } else {
        return Error::make(Error::Kind::Usage, QStringLiteral("the setup chose no way to reach GitHub"));
    }
    if (setup.externalDatabase && config->database.isEmpty()) {
        const auto dsn =
            need(store, secretnames::databaseConninfo(), QStringLiteral("The database connection string"), &error);
        if (!dsn)
            return error;
        config->database = QString::fromUtf8(*dsn);
    }
    return {};
}

bool hasExplicitCredentials(const Config &config) {
    return config.sandbox || !config.token.isEmpty() || config.usesAppAuth();
}

} // namespace hubsync
