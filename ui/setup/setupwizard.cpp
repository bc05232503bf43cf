#include "ui/setup/setupwizard.h"

#include "core/secretstore.h"
#include "ui/setup/pages.h"

#include <QDesktopServices>
#include <QSettings>

namespace hubsync {

SetupWizard::SetupWizard(QSettings &settings, SecretStore &store, QWidget *parent)
    : QWizard(parent)
    , m_settings(settings)
    , m_store(store)
    , m_opener([](const QUrl &url) { return QDesktopServices::openUrl(url); }) {
    setWindowTitle(tr("Set up HubSync"));
    setObjectName(QStringLiteral("setupWizard"));
    setWizardStyle(QWizard::ClassicStyle); // the same look on every platform, and in screenshots
    setOption(QWizard::NoBackButtonOnStartPage);
    setPage(ServerPageId, new ServerPage(this));
    setPage(ConnectPageId, new ConnectPage(this));
    setPage(AppPageId, new AppPage(this));
    setPage(TokenPageId, new TokenPage(this));
    setPage(DatabasePageId, new DatabasePage(this));
    setPage(SummaryPageId, new SummaryPage(this));
    setStartId(ServerPageId);
    resize(760, 560);
    const SavedSetup saved = SavedSetup::load(m_settings);
    if (!saved.complete && saved.auth == SavedSetup::Auth::App && saved.appId > 0) {
        Error error;
        const std::optional<QByteArray> key = m_store.read(secretnames::appPrivateKey(saved.appId), &error);
        if (key && !key->isEmpty())
            m_unfinished = saved;
    }
}

const SavedSetup *SetupWizard::resumableApp() const {
    const SavedSetup *unfinished = unfinishedApp();
    return unfinished && unfinished->githubApiUrl == m_setup.githubApiUrl ? unfinished : nullptr;
}

void SetupWizard::rememberCreatedApp() {
    SavedSetup unfinished = m_setup;
    unfinished.complete = false;
    unfinished.installationId = 0;
    unfinished.externalDatabase = false;
    unfinished.save(m_settings);
    m_unfinished = unfinished;
}

SetupWizard::~SetupWizard() = default;

bool SetupWizard::openBrowser(const QUrl &url) {
    return m_opener && m_opener(url);
}

SetupWizard::Method SetupWizard::method() const {
    const auto *connect = qobject_cast<const ConnectPage *>(page(ConnectPageId));
    switch (connect ? connect->choice() : 0) {
    case 1:
        return Method::ExistingApp;
    case 2:
        return Method::Token;
    case 3:
        return Method::ResumeApp;
    default:
        return Method::CreateApp;
    }
}

int SetupWizard::nextId() const {
    switch (currentId()) {
    case ServerPageId:
        return ConnectPageId;
    case ConnectPageId:
        return method() == Method::Token ? TokenPageId : AppPageId;
    case AppPageId:
    case TokenPageId:
        return DatabasePageId;
    case DatabasePageId:
        return SummaryPageId;
    default:
        return -1;
    }
}

void SetupWizard::accept() {
    m_setup.complete = true;
    // Secrets first: settings that say "complete" must never point at secrets that were not stored.
    if (Error e = storeSetupSecrets(m_store, m_setup, m_secrets)) {
        m_setup.complete = false;
        m_finishError = tr("The secrets could not be stored in %1: %2").arg(m_store.description(), e.message);
        if (auto *summary = qobject_cast<SummaryPage *>(page(SummaryPageId)))
            summary->showError(m_finishError);
        return;
    }
    m_finishError.clear();
    m_setup.save(m_settings);
    // Nothing secret stays in this object longer than needed.
    m_secrets = {};
    QWizard::accept();
}

} // namespace hubsync
