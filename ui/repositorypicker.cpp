#include "ui/repositorypicker.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace hubsync {

RepositoryListModel::RepositoryListModel(QObject *parent)
    : QAbstractTableModel(parent) {}

int RepositoryListModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_repositories.size());
}

int RepositoryListModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RepositoryListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Repository");
    case Visibility:
        return tr("Visibility");
    case Records:
        return tr("Synced records");
    case OpenIssues:
        return tr("Open issues and PRs");
    case Status:
        return tr("Status");
    default:
        return {};
    }
}

QVariant RepositoryListModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= m_repositories.size())
        return {};
    const RepositoryInfo &r = m_repositories[index.row()];
    const bool checked = m_checked.contains(r.fullName);
    if (role == Qt::CheckStateRole && index.column() == Name)
        return checked ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::ToolTipRole && index.column() == Name)
        return r.description;
    if (role == Qt::TextAlignmentRole && (index.column() == Records || index.column() == OpenIssues))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    // Numbers sort as numbers in the proxy model.
    if (role == Qt::UserRole) {
        if (index.column() == Records)
            return r.syncedRecords;
        if (index.column() == OpenIssues)
            return r.openIssues;
        return data(index, Qt::DisplayRole);
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return r.fullName;
    case Visibility:
        return r.isPrivate ? tr("private") : tr("public");
    case Records:
        return QStringLiteral("%L1").arg(r.syncedRecords);
    case OpenIssues:
        return QStringLiteral("%L1").arg(r.openIssues);
    case Status:
        if (checked == r.synced)
            return r.synced ? tr("synced") : tr("not synced");
        return checked ? tr("will be backfilled") : tr("will stop syncing");
    default:
        return {};
    }
}

Qt::ItemFlags RepositoryListModel::flags(const QModelIndex &index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Name)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

bool RepositoryListModel::setData(const QModelIndex &index, const QVariant &value, int role) {
    if (role != Qt::CheckStateRole || index.column() != Name || index.row() >= m_repositories.size())
        return false;
    const QString &name = m_repositories[index.row()].fullName;
    if (value.toInt() == Qt::Checked)
        m_checked.insert(name);
    else
        m_checked.remove(name);
    Q_EMIT dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
    Q_EMIT choicesChanged();
    return true;
}

bool RepositoryListModel::setChecked(const QString &fullName, bool checked) {
    for (int row = 0; row < m_repositories.size(); ++row) {
        if (m_repositories[row].fullName == fullName)
            return setData(index(row, Name), checked ? Qt::Checked : Qt::Unchecked, Qt::CheckStateRole);
    }
    return false;
}

void RepositoryListModel::setRepositories(const QList<RepositoryInfo> &repositories) {
    // A pending choice survives a refresh until the engine's state matches it.
    QSet<QString> pendingOn;
    QSet<QString> pendingOff;
    for (const RepositoryInfo &r : std::as_const(m_repositories)) {
        const bool checked = m_checked.contains(r.fullName);
        if (checked && !r.synced)
            pendingOn.insert(r.fullName);
        if (!checked && r.synced)
            pendingOff.insert(r.fullName);
    }
    beginResetModel();
    m_repositories = repositories;
    m_checked.clear();
    for (const RepositoryInfo &r : repositories) {
        if ((r.synced && !pendingOff.contains(r.fullName)) || pendingOn.contains(r.fullName))
            m_checked.insert(r.fullName);
    }
    endResetModel();
    Q_EMIT choicesChanged();
}

QStringList RepositoryListModel::toAdd() const {
    QStringList names;
    for (const RepositoryInfo &r : m_repositories) {
        if (!r.synced && m_checked.contains(r.fullName))
            names << r.fullName;
    }
    return names;
}

QStringList RepositoryListModel::toRemove() const {
    QStringList names;
    for (const RepositoryInfo &r : m_repositories) {
        if (r.synced && !m_checked.contains(r.fullName))
            names << r.fullName;
    }
    return names;
}

RepositoryPicker::RepositoryPicker(bool keepRowsByDefault, QWidget *parent)
    : QWidget(parent)
    , m_model(new RepositoryListModel(this))
    , m_filter(new QSortFilterProxyModel(this)) {
    m_filter->setSourceModel(m_model);
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_filter->setFilterKeyColumn(RepositoryListModel::Name);
    m_filter->setSortRole(Qt::UserRole);

    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("repositorySearch"));
    m_search->setAccessibleName(tr("Search repositories"));
    m_search->setPlaceholderText(tr("Search repositories…"));
    m_search->setClearButtonEnabled(true);
    m_refresh = new QPushButton(tr("Refresh list"), this);
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("repositoryTable"));
    m_view->setAccessibleName(tr("Repositories"));
    m_view->setModel(m_filter);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(RepositoryListModel::Name, Qt::AscendingOrder);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(RepositoryListModel::Name, QHeaderView::Stretch);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->setSelectionMode(QAbstractItemView::NoSelection);
    m_keepRows = new QCheckBox(tr("Keep the rows of repositories I stop syncing"), this);
    m_keepRows->setObjectName(QStringLiteral("keepRemovedRows"));
    m_keepRows->setChecked(keepRowsByDefault);
    m_apply = new QPushButton(tr("Apply selection"), this);
    m_apply->setObjectName(QStringLiteral("applyRepositorySelection"));
    m_summary = new QLabel(tr("Listing the repositories these credentials can see…"), this);
    m_summary->setObjectName(QStringLiteral("repositorySummary"));
    m_summary->setWordWrap(true);

    auto *top = new QHBoxLayout;
    top->addWidget(m_search, 1);
    top->addWidget(m_refresh);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_keepRows);
    bottom->addStretch(1);
    bottom->addWidget(m_apply);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_summary);
    layout->addLayout(bottom);

    connect(m_search, &QLineEdit::textChanged, this, &RepositoryPicker::setSearch);
    connect(m_refresh, &QPushButton::clicked, this, &RepositoryPicker::refreshRequested);
    connect(m_apply, &QPushButton::clicked, this, &RepositoryPicker::apply);
    connect(m_model, &RepositoryListModel::choicesChanged, this, &RepositoryPicker::updateSummary);
    updateSummary();
}

void RepositoryPicker::showRepositories(const QList<RepositoryInfo> &repositories) {
    m_listed = true;
    m_model->setRepositories(repositories);
}

void RepositoryPicker::setSearch(const QString &text) {
    if (m_search->text() != text)
        m_search->setText(text);
    m_filter->setFilterFixedString(text);
}

void RepositoryPicker::apply() {
    const QStringList add = m_model->toAdd();
    const QStringList remove = m_model->toRemove();
    if (add.isEmpty() && remove.isEmpty())
        return;
    m_summary->setText(tr("Applying: %1 to backfill, %2 to stop…").arg(add.size()).arg(remove.size()));
    Q_EMIT selectionChangeRequested(add, remove, m_keepRows->isChecked());
}

void RepositoryPicker::updateSummary() {
    const QStringList add = m_model->toAdd();
    const QStringList remove = m_model->toRemove();
    m_apply->setEnabled(!add.isEmpty() || !remove.isEmpty());
    if (!m_listed)
        return;
    qint64 synced = 0;
    for (const RepositoryInfo &r : m_model->repositories())
        synced += r.synced ? 1 : 0;
    QString text = tr("%1 repositories visible, %2 synced.").arg(m_model->repositories().size()).arg(synced);
    if (!add.isEmpty() || !remove.isEmpty())
        text += QLatin1Char(' ') + tr("Apply to backfill %1 and stop syncing %2.").arg(add.size()).arg(remove.size());
    m_summary->setText(text);
}

QString RepositoryPicker::summaryText() const {
    return m_summary->text();
}

} // namespace hubsync
