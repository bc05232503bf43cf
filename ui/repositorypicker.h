#pragma once

#include "core/events.h"

#include <QAbstractTableModel>
#include <QSet>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace hubsync {

// Every repository the credentials can see; the check box is the wish (synced or not), which
// RepositoryPicker applies when the user asks.
class RepositoryListModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Visibility, Records, OpenIssues, Status, ColumnCount };

    explicit RepositoryListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;

    // New listing from the engine; the user's unapplied choices are kept where they still make sense.
    void setRepositories(const QList<RepositoryInfo> &repositories);
    [[nodiscard]] QStringList toAdd() const;    // checked but not synced
    [[nodiscard]] QStringList toRemove() const; // synced but unchecked
    [[nodiscard]] bool setChecked(const QString &fullName, bool checked);
    [[nodiscard]] const QList<RepositoryInfo> &repositories() const { return m_repositories; }

Q_SIGNALS:
    void choicesChanged();

private:
    QList<RepositoryInfo> m_repositories;
    QSet<QString> m_checked;
};

// The repository picker: searchable, checkable, with record counts. Applying a change backfills the
// newly checked repositories and stops syncing the unchecked ones (keeping or dropping their rows).
class RepositoryPicker final : public QWidget {
    Q_OBJECT
public:
    explicit RepositoryPicker(bool keepRowsByDefault, QWidget *parent = nullptr);

    void showRepositories(const QList<RepositoryInfo> &repositories);
    void setSearch(const QString &text);
    void apply();

    [[nodiscard]] RepositoryListModel *model() const { return m_model; }
    [[nodiscard]] QSortFilterProxyModel *filtered() const { return m_filter; }
    [[nodiscard]] QString summaryText() const;

Q_SIGNALS:
    void refreshRequested();
    void selectionChangeRequested(const QStringList &add, const QStringList &remove, bool keepRows);

private:
    void updateSummary();

    RepositoryListModel *m_model = nullptr;
    QSortFilterProxyModel *m_filter = nullptr;
    QLineEdit *m_search = nullptr;
    QTableView *m_view = nullptr;
    QCheckBox *m_keepRows = nullptr;
    QPushButton *m_apply = nullptr;
    QPushButton *m_refresh = nullptr;
    QLabel *m_summary = nullptr;
    bool m_listed = false;
};

} // namespace hubsync
