// The GitHub App page: create an App from a manifest (or check an existing one), install it, and guide
// the user when GitHub turns the installation into a request for an organization owner.

#include "core/secretstore.h"
#include "ui/setup/pages.h"
#include "ui/setup/setupwizard.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHostInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace hubsync {

namespace {

constexpr qint64 MaxKeyFileBytes = 64 * 1024; // a PEM RSA key is a few KiB

} // namespace

AppPage::AppPage(SetupWizard *wizard)
    : QWizardPage(wizard)
    , m_wizard(wizard) {
    setTitle(tr("Connect a GitHub App"));
    auto *layout = new QVBoxLayout(this);

    m_modes = new QStackedWidget(this);
    auto *create = new QWidget(m_modes);
    auto *createForm = new QFormLayout(create);
    m_appName = new QLineEdit(QStringLiteral("HubSync %1").arg(QHostInfo::localHostName().left(20)), create);
    m_appName->setObjectName(QStringLiteral("appName"));
    m_appName->setMaxLength(34); // GitHub's limit for App names
    m_organization = new QLineEdit(create);
    m_organization->setObjectName(QStringLiteral("appOrganization"));
    m_organization->setPlaceholderText(tr("empty: owned by your own account"));
    m_create = new QPushButton(tr("Create the App on GitHub…"), create);
    m_create->setObjectName(QStringLiteral("createApp"));
    createForm->addRow(tr("App name (unique on GitHub):"), m_appName);
    createForm->addRow(tr("Owner organization:"), m_organization);
    createForm->addRow(m_create);
    m_modes->addWidget(create);

    auto *existing = new QWidget(m_modes);
    auto *existingForm = new QFormLayout(existing);
    m_appId = new QLineEdit(existing);
    m_appId->setObjectName(QStringLiteral("appId"));
    m_appId->setPlaceholderText(tr("App ID from the App's settings page"));
    m_keyFile = new QLineEdit(existing);
    m_keyFile->setObjectName(QStringLiteral("appKeyFile"));
    m_keyFile->setAccessibleName(tr("The App's private key file (.pem)"));
    auto *browse = new QPushButton(tr("Choose…"), existing);
    connect(browse, &QPushButton::clicked, this, &AppPage::chooseKeyFile);
    auto *keyRow = new QHBoxLayout;
    keyRow->addWidget(m_keyFile, 1);
    keyRow->addWidget(browse);
    m_connect = new QPushButton(tr("Check the App"), existing);
    m_connect->setObjectName(QStringLiteral("connectApp"));
    existingForm->addRow(tr("App ID:"), m_appId);
    existingForm->addRow(tr("Private key (.pem):"), keyRow);
    existingForm->addRow(m_connect);
    m_modes->addWidget(existing);
    layout->addWidget(m_modes);

    m_appStatus = pageLabel(this, QStringLiteral("appStatus"));
    layout->addWidget(m_appStatus);
    m_install = new QPushButton(tr("Install the App on GitHub…"), this);
    m_install->setObjectName(QStringLiteral("installApp"));
    m_install->hide();
    layout->addWidget(m_install);
    m_choice = new QWidget(this);
    auto *choiceRow = new QHBoxLayout(m_choice);
    choiceRow->setContentsMargins(0, 0, 0, 0);
    m_choiceBox = new QComboBox(m_choice);
    m_choiceBox->setObjectName(QStringLiteral("installationChoice"));
    m_choiceBox->setAccessibleName(tr("Installation of the App to sync"));
    auto *useChoice = new QPushButton(tr("Use this installation"), m_choice);
    useChoice->setObjectName(QStringLiteral("useInstallation"));
    choiceRow->addWidget(pageLabel(m_choice, {}, tr("The App is installed on several accounts:")));
    choiceRow->addWidget(m_choiceBox, 1);
    choiceRow->addWidget(useChoice);
    m_choice->hide();
    layout->addWidget(m_choice);
    connect(useChoice, &QPushButton::clicked, this, [this] {
        const qint64 id = m_choiceBox->currentData().toLongLong();
        if (id > 0)
            m_wizard->controller()->chooseInstallation(id);
    });
    m_installElsewhere = new QPushButton(tr("Install the App on another account instead…"), this);
    m_installElsewhere->setObjectName(QStringLiteral("installElsewhere"));
    m_installElsewhere->hide();
    layout->addWidget(m_installElsewhere);
    m_guidance = pageLabel(this, QStringLiteral("permissionGuidance"));
    m_guidance->setTextFormat(Qt::RichText);
    m_guidance->setFrameShape(QFrame::StyledPanel);
    m_guidance->setMargin(8);
    m_guidance->hide();
    layout->addWidget(m_guidance);
    m_retry = new QPushButton(tr("Try again with fewer repositories…"), this);
    m_retry->setObjectName(QStringLiteral("retryNarrower"));
    m_retry->hide();
    layout->addWidget(m_retry);
    m_recheck = new QPushButton(tr("Check again"), this);
    m_recheck->setObjectName(QStringLiteral("recheckInstallation"));
    m_recheck->hide();
    layout->addWidget(m_recheck);
    m_waiting = pageLabel(this, QStringLiteral("installWaiting"));
    layout->addWidget(m_waiting);
    m_result = pageLabel(this, QStringLiteral("appResult"));
    layout->addWidget(m_result);
    layout->addStretch(1);

    connect(m_create, &QPushButton::clicked, this, &AppPage::createApp);
    connect(m_connect, &QPushButton::clicked, this, &AppPage::connectExistingApp);
    connect(m_install, &QPushButton::clicked, this, [this] { install(); });
    connect(m_retry, &QPushButton::clicked, this, [this] { install(); });
    connect(m_installElsewhere, &QPushButton::clicked, this, [this] { install(true); });
    connect(m_recheck, &QPushButton::clicked, this, [this] {
        m_recheck->hide();
        m_result->clear();
        m_wizard->controller()->checkInstallation();
    });
    SetupController *controller = wizard->controller();
    connect(controller, &SetupController::appReady, this, &AppPage::showApp);
    connect(controller, &SetupController::installRequested, this, &AppPage::showRequested);
    connect(controller, &SetupController::installed, this, &AppPage::showInstalled);
    connect(controller, &SetupController::installationsFound, this, &AppPage::showChoice);
    connect(controller, &SetupController::installationChecked, this, &AppPage::showAccess);
    connect(controller, &SetupController::flowFailed, this, &AppPage::showError);
    connect(controller, &SetupController::pollingChanged, this, [this](int polls) {
        if (!m_ready)
            m_waiting->setText(tr("Waiting for the installation… (checks so far: %1)").arg(polls));
    });
}

void AppPage::initializePage() {
    const SetupWizard::Method method = m_wizard->method();
    const bool existing = method == SetupWizard::Method::ExistingApp || method == SetupWizard::Method::ResumeApp;
    m_modes->setCurrentIndex(existing ? 1 : 0);
    setSubTitle(existing ? tr("Enter the App ID and choose the App's private key file.")
                         : tr("Your browser opens GitHub to create the App; come back here when GitHub says so."));
    const SavedSetup *unfinished = m_wizard->resumableApp();
    if (method == SetupWizard::Method::ResumeApp && unfinished)
        resumeApp(*unfinished);
}

void AppPage::resumeApp(const SavedSetup &unfinished) {
    SecretStore &store = m_wizard->secretStore();
    SetupSecrets &secrets = m_wizard->secrets();
    Error error;
    const std::optional<QByteArray> key = store.read(secretnames::appPrivateKey(unfinished.appId), &error);
    if (!key || key->isEmpty()) {
        showError(error ? error
                        : Error::make(Error::Kind::Usage,
                                      tr("The key of the App created earlier is no longer in %1; create a new App.")
                                          .arg(store.description())));
        return;
    }
    // The webhook and client secrets GitHub handed out when it created the App: GitHub never shows them
    // again, and an existing App's check does not return them.
    secrets.webhookSecret = store.read(secretnames::appWebhookSecret(unfinished.appId), &error).value_or(QByteArray());
    if (!error)
        secrets.clientSecret =
            store.read(secretnames::appClientSecret(unfinished.appId), &error).value_or(QByteArray());
    if (error) {
        showError(error);
        return;
    }
    m_resuming = true;
    m_resumedAppId = unfinished.appId;
    m_appId->setText(QString::number(unfinished.appId));
    m_appStatus->setText(tr("Checking the App created earlier with GitHub…"));
    m_wizard->controller()->useExistingApp(unfinished.appId, *key);
}

void AppPage::cleanupPage() {
    m_wizard->controller()->cancel();
    m_ready = false;
    m_resuming = false;
    m_appStatus->clear();
    m_guidance->hide();
    m_retry->hide();
    m_recheck->hide();
    m_install->hide();
    m_installElsewhere->hide();
    m_choice->hide();
    m_waiting->clear();
    m_result->clear();
    m_create->setEnabled(true);
    m_connect->setEnabled(true);
}

bool AppPage::isComplete() const {
    return m_ready;
}

void AppPage::createApp() {
    m_resuming = false;
    Error error;
    const QUrl url = m_wizard->controller()->startManifestFlow(m_appName->text(), m_organization->text(), &error);
    if (error) {
        showError(error);
        return;
    }
    m_result->clear();
    if (m_wizard->openBrowser(url))
        m_appStatus->setText(tr("Finish creating the App in your browser. HubSync waits for GitHub to send you "
                                "back here."));
    else
        m_appStatus->setText(tr("Open this address in your browser to create the App: %1").arg(url.toString()));
}

void AppPage::chooseKeyFile() {
    const QString file = QFileDialog::getOpenFileName(this, tr("The App's private key"), QString(),
                                                      tr("Private keys (*.pem);;All files (*)"));
    if (!file.isEmpty())
        m_keyFile->setText(file);
}

void AppPage::connectExistingApp() {
    QFile file(m_keyFile->text().trimmed());
    if (!file.open(QIODevice::ReadOnly) || file.size() > MaxKeyFileBytes) {
        showError(Error::make(Error::Kind::Usage, tr("Cannot read the key file \"%1\"").arg(file.fileName())));
        return;
    }
    bool ok = false;
    const qint64 id = m_appId->text().trimmed().toLongLong(&ok);
    m_resuming = false; // the user's own App now, not the one resumed
    m_result->clear();
    m_appStatus->setText(tr("Checking the App with GitHub…"));
    m_wizard->controller()->useExistingApp(ok ? id : 0, file.readAll());
}

void AppPage::showApp(const AppConnection &app) {
    SavedSetup &setup = m_wizard->setup();
    setup.auth = SavedSetup::Auth::App;
    setup.appId = app.appId;
    setup.appSlug = app.slug;
    setup.appHtmlUrl = app.htmlUrl;
    SetupSecrets &secrets = m_wizard->secrets();
    secrets.appPrivateKey = app.privateKeyPem;
    const bool created = !app.webhookSecret.isEmpty() || !app.clientSecret.isEmpty();
    if (!m_resuming || app.appId != m_resumedAppId) {
        // (A resumed App's secrets came from the store; its check does not return them.)
        secrets.webhookSecret = app.webhookSecret;
        secrets.clientSecret = app.clientSecret;
    }
    // A created App's key exists nowhere else (GitHub shows it once): keep it safe right away, and the
    // App's id in the settings, so that an interrupted setup (the wizard closed while an owner's approval
    // is pending, a crash) can go on with this App instead of losing it.
    if (created) {
        SavedSetup partial = setup;
        partial.externalDatabase = false;
        if (Error e = storeSetupSecrets(m_wizard->secretStore(), partial, secrets))
            showError(e);
        else
            m_wizard->rememberCreatedApp();
    }
    m_create->setEnabled(false);
    m_connect->setEnabled(false);
    m_appStatus->setText(tr("GitHub App \"%1\" (id %2) is ready. Now install it on the account or organization "
                            "whose repositories HubSync should copy.")
                             .arg(app.slug)
                             .arg(app.appId));
    m_install->show();
    // An existing (or resumed) App may already be installed: then there is nothing to wait for.
    if (!created)
        m_wizard->controller()->waitForInstallation(m_wizard->pollIntervalMs());
}

void AppPage::install(bool elsewhere) {
    Error error;
    const QUrl url = m_wizard->controller()->startInstallation(&error);
    if (error) {
        showError(error);
        return;
    }
    m_result->clear();
    if (!m_wizard->openBrowser(url))
        m_waiting->setText(tr("Open this address in your browser to install the App: %1").arg(url.toString()));
    // The setup redirect usually answers first; polling covers Apps whose setup URL is not ours. Either way
    // the installation to use is the one being made now: installations the App already has (on the user's
    // own account, say) are not it. When installing elsewhere, the one in use stays until the new one comes.
    if (elsewhere)
        m_waiting->setText(tr("Waiting for the App to be installed on another account…"));
    m_wizard->controller()->stopWaiting();
    m_wizard->controller()->waitForInstallation(m_wizard->pollIntervalMs(), SetupController::defaultMaxPolls,
                                                /*onlyNew=*/true);
}

void AppPage::showChoice(const QList<github::InstallationInfo> &installations) {
    m_choiceBox->clear();
    for (const github::InstallationInfo &i : installations)
        m_choiceBox->addItem(tr("%1 (installation %2, %3 repositories)")
                                 .arg(i.account)
                                 .arg(i.id)
                                 .arg(i.repositorySelection == QLatin1String("all") ? tr("all") : tr("selected")),
                             i.id);
    m_choice->show();
    m_waiting->setText(tr("Choose the installation HubSync should use, or install the App on another account."));
}

void AppPage::showRequested() {
    m_guidance->setText(
        tr("<p><b>GitHub did not install the App yet.</b> Your GitHub account is not allowed to install apps on "
           "this organization with the repositories you chose, so GitHub turned the installation into a request "
           "and emailed the organization's owners to approve it.</p>"
           "<p>Two ways to go on:</p><ol>"
           "<li><b>Try again with fewer repositories</b>: choose only repositories you administer yourself "
           "(button below).</li>"
           "<li><b>Ask an organization owner</b> to approve the request (GitHub already sent them an email). "
           "HubSync checks GitHub every few seconds and continues by itself as soon as the App is installed.</li>"
           "</ol>"));
    m_guidance->show();
    m_retry->show();
    m_install->hide();
}

void AppPage::showInstalled(qint64 installationId) {
    m_wizard->setup().installationId = installationId;
    m_ready = false; // until the new installation's access is checked
    Q_EMIT completeChanged();
    m_guidance->hide();
    m_retry->hide();
    m_install->hide();
    m_choice->hide();
    m_waiting->setText(tr("Installed (installation %1). Reading what it may see…").arg(installationId));
    m_wizard->controller()->checkInstallation();
}

void AppPage::showAccess(const AccessCheck &access) {
    if (access.error.kind == Error::Kind::GitHubPermission) {
        Error e = access.error;
        e.message = tr("The App is installed, but GitHub refuses it something HubSync needs: %1. Give the App "
                       "that permission in its settings on GitHub (Permissions & events), accept the new "
                       "permissions for the installation, then press Check again.")
                        .arg(access.error.message);
        showError(e);
        m_recheck->show();
        return;
    }
    if (access.error) {
        showError(access.error);
        m_recheck->show();
        return;
    }
    m_wizard->access() = access;
    m_result->setStyleSheet(QString());
    m_result->setText(tr("The App may read %n repositories.", nullptr, int(access.repositories.size())));
    m_installElsewhere->show();
    m_ready = true;
    Q_EMIT completeChanged();
}

void AppPage::showError(const Error &error) {
    showOutcome(m_result, false, error.message);
    if (m_wizard->setup().appId == 0) {
        m_create->setEnabled(true);
        m_connect->setEnabled(true);
        m_appStatus->clear();
    }
}

} // namespace hubsync
