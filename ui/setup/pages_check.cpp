// Pages whose input is checked live through the facade: the personal access token and the database.

#include "ui/setup/pages.h"
#include "ui/setup/setupwizard.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace hubsync {

TokenPage::TokenPage(SetupWizard *wizard)
    : QWizardPage(wizard)
    , m_wizard(wizard) {
    setTitle(tr("Personal access token"));
    setSubTitle(tr("HubSync reads with the token's access and writes issue edits made through its proxy."));
    auto *layout = new QVBoxLayout(this);
    auto *help = new QLabel(tr("Create a fine-grained token with read access to the repositories' contents, "
                               "issues, pull requests, discussions and metadata (write access to issues for "
                               "edits), or a classic token with the \"repo\" scope. Paste it here:"),
                            this);
    help->setWordWrap(true);
    layout->addWidget(help);
    m_token = new QLineEdit(this);
    m_token->setObjectName(QStringLiteral("token"));
    m_token->setAccessibleName(tr("Personal access token"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setMaxLength(512);
    m_token->setPlaceholderText(tr("github_pat_… or ghp_…"));
    layout->addWidget(m_token);
    m_check = new QPushButton(tr("Check the token"), this);
    m_check->setObjectName(QStringLiteral("checkToken"));
    layout->addWidget(m_check);
    m_result = pageLabel(this, QStringLiteral("tokenResult"));
    layout->addWidget(m_result);
    layout->addStretch(1);

    connect(m_check, &QPushButton::clicked, this, &TokenPage::check);
    connect(m_token, &QLineEdit::returnPressed, this, &TokenPage::check);
    connect(m_token, &QLineEdit::textChanged, this, &TokenPage::completeChanged);
    connect(wizard->controller(), &SetupController::tokenChecked, this, &TokenPage::showResult);
}

void TokenPage::initializePage() {
    m_result->clear();
}

bool TokenPage::isComplete() const {
    return !m_checkedToken.isEmpty() && m_token->text().trimmed() == m_checkedToken;
}

void TokenPage::check() {
    const QString token = m_token->text().trimmed();
    if (token.isEmpty()) {
        showOutcome(m_result, false, tr("Paste a token first."));
        return;
    }
    m_check->setEnabled(false);
    m_checkedToken.clear();
    Q_EMIT completeChanged();
    m_result->setStyleSheet(QString());
    m_result->setText(tr("Asking GitHub…"));
    m_wizard->controller()->checkToken(token);
}

void TokenPage::showResult(const AccessCheck &result) {
    m_check->setEnabled(true);
    if (result.error) {
        showOutcome(m_result, false, result.error.message);
        return;
    }
    m_checkedToken = m_token->text().trimmed();
    SavedSetup &setup = m_wizard->setup();
    setup.auth = SavedSetup::Auth::Token;
    setup.login = result.who;
    m_wizard->secrets() = SetupSecrets{};
    m_wizard->secrets().token = m_checkedToken.toUtf8();
    m_wizard->access() = result;
    showOutcome(m_result, true,
                tr("Signed in as %1. The token can see %n repositories.", nullptr, int(result.repositories.size()))
                    .arg(result.who));
    Q_EMIT completeChanged();
}

DatabasePage::DatabasePage(SetupWizard *wizard)
    : QWizardPage(wizard)
    , m_wizard(wizard) {
    setTitle(tr("Database"));
    setSubTitle(tr("Where the copied data goes."));
    auto *layout = new QVBoxLayout(this);
    m_embedded = new QRadioButton(tr("HubSync's own PostgreSQL (recommended): nothing to set up"), this);
    m_embedded->setObjectName(QStringLiteral("databaseEmbedded"));
    m_embedded->setChecked(true);
    layout->addWidget(m_embedded);
    const QString binaries = SetupController::embeddedServerBinaries();
    auto *embeddedHelp = pageLabel(this, QStringLiteral("embeddedHelp"));
    embeddedHelp->setContentsMargins(24, 0, 0, 8);
    embeddedHelp->setText(binaries.isEmpty()
                              ? tr("No PostgreSQL server programs were found on this computer (install the "
                                   "postgresql package), or use a connection string.")
                              : tr("A private cluster in HubSync's data directory, run with %1.").arg(binaries));
    layout->addWidget(embeddedHelp);
    m_external = new QRadioButton(tr("A PostgreSQL database I have (connection string)"), this);
    m_external->setObjectName(QStringLiteral("databaseExternal"));
    layout->addWidget(m_external);
    m_conninfo = new QLineEdit(this);
    m_conninfo->setObjectName(QStringLiteral("conninfo"));
    m_conninfo->setAccessibleName(tr("PostgreSQL connection string"));
    m_conninfo->setPlaceholderText(tr("postgresql://user@host:5432/dbname  or  host=… dbname=… user=…"));
    m_conninfo->setEnabled(false);
    m_conninfo->setMaxLength(4096);
    layout->addWidget(m_conninfo);
    m_test = new QPushButton(tr("Test the connection"), this);
    m_test->setObjectName(QStringLiteral("testDatabase"));
    m_test->setEnabled(false);
    layout->addWidget(m_test);
    m_result = pageLabel(this, QStringLiteral("databaseResult"));
    layout->addWidget(m_result);
    layout->addStretch(1);

    connect(m_external, &QRadioButton::toggled, this, [this](bool on) {
        m_conninfo->setEnabled(on);
        m_test->setEnabled(on && !m_testing);
        Q_EMIT completeChanged();
    });
    connect(m_conninfo, &QLineEdit::textChanged, this, &DatabasePage::completeChanged);
    connect(m_test, &QPushButton::clicked, this, &DatabasePage::test);
    connect(wizard->controller(), &SetupController::databaseTested, this, &DatabasePage::showResult);
}

bool DatabasePage::isComplete() const {
    return m_embedded->isChecked() ||
           (!m_testing && !m_testedConninfo.isEmpty() && m_conninfo->text().trimmed() == m_testedConninfo);
}

bool DatabasePage::validatePage() {
    SavedSetup &setup = m_wizard->setup();
    setup.externalDatabase = m_external->isChecked();
    m_wizard->secrets().databaseConninfo = setup.externalDatabase ? m_testedConninfo.toUtf8() : QByteArray();
    return true;
}

void DatabasePage::test() {
    const QString conninfo = m_conninfo->text().trimmed();
    if (conninfo.isEmpty()) {
        showOutcome(m_result, false, tr("Enter a connection string first."));
        return;
    }
    m_testing = true;
    m_testedConninfo.clear();
    m_test->setEnabled(false);
    m_result->setStyleSheet(QString());
    m_result->setText(tr("Connecting…"));
    Q_EMIT completeChanged();
    m_wizard->controller()->testDatabase(conninfo);
}

void DatabasePage::showResult(const DatabaseCheck &result) {
    m_testing = false;
    m_test->setEnabled(m_external->isChecked());
    if (result.error) {
        showOutcome(m_result, false, tr("Cannot use this database: %1").arg(result.error.message));
    } else {
        m_testedConninfo = m_conninfo->text().trimmed();
        showOutcome(m_result, true,
                    tr("Connected to database \"%1\" as \"%2\" (PostgreSQL %3). HubSync may create its tables "
                       "there.")
                        .arg(result.database, result.user, result.serverVersion));
    }
    Q_EMIT completeChanged();
}

} // namespace hubsync
